// e2e (browser mode, real services, SliME-Nano): evidence coverage — a mined example gets two regions, one over a
// cell the selector dropped and one over a cell it kept; the review queue flags "dropped evidence", and one click on
// the flag opens the inspector beside the queue with the example re-asked at its recorded setting, its regions drawn
// with the kept (framed) and dropped (crossed) cells under them, and the same counts the queue computed; the
// example editor’s evidence section opens the same drawer; the selector figure behind "Export PNG" carries the same
// regions (evidence layer of the shared heatmap renderer) while they are shown. Screenshots: evidence-1440,
// evidence-dataset-1440, evidence-1024.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startApp, type RunningApp } from './harness/startApp.ts';
import { NANO_DIR, callRouter, nanoSamples } from './harness/nano.ts';
import type { Page } from '../../electron/shared/ipc/dataset.ts';
import type { AskResult, InspectionRecord } from '../../electron/shared/ipc/inference.ts';
import type { MiningJob, ReviewItem } from '../../electron/shared/ipc/mining.ts';
import { tokenRect } from '../../renderer/src/features/inspector/geometry.ts';

const sample = nanoSamples().find((s) => s.family === 'glyph') ?? nanoSamples()[0]!;
let app: RunningApp;
let dataDir: string;
let item: ReviewItem;
let record: InspectionRecord;
let answer: string;
/** The two cells the regions sit on: one the selector dropped, one it kept. */
let cells: { dropped: number; kept: number };

/** Cell j's rectangle in original pixels, shrunk to whole pixels inside it. */
function inside(j: number) {
  const r = tokenRect(record, j);
  return { x1: Math.ceil(r.x + 1), y1: Math.ceil(r.y + 1), x2: Math.floor(r.x + r.width - 1), y2: Math.floor(r.y + r.height - 1) };
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'slime-e2e-evidence-'));
  const folder = path.join(dataDir, 'to-ask');
  mkdirSync(folder);
  const image = path.join(folder, path.basename(sample.image));
  copyFileSync(sample.image, image);
  app = await startApp({ dataDir, modelDir: NANO_DIR, viewport: { width: 1440, height: 900 } });
  const settings = { questions: [sample.question], signals: { detail: false, stability: false, embedding: false } };
  const job = await callRouter<MiningJob>(app, 'mining:askFolder', { folder, modelDir: NANO_DIR, settings });
  const until = Date.now() + 120_000;
  const state = async () => (await callRouter<MiningJob[]>(app, 'mining:listMiningJobs')).find((j) => j.id === job.id)?.state;
  while ((await state()) !== 'done') {
    if (Date.now() > until) throw new Error(`mining job ${job.id} did not finish: ${await state()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // The same request the miner made (its settings: the model's selector, greedy), for the cell geometry.
  const asked = await callRouter<AskResult>(app, 'inference:ask', {
    requestId: 'evidence-geometry',
    modelDir: NANO_DIR,
    image: { path: image },
    question: sample.question,
    sampling: { temperature: 0, maxNewTokens: 64 },
  });
  record = asked.inspection;
  answer = asked.answer;
  // Cells wholly on the image and off its top/left edge (so each region's tag sits beside it, not over it).
  const whole = (j: number) => {
    const r = tokenRect(record, j);
    return r.width > 4 && r.height > 4 && r.x >= r.width && r.y >= r.height;
  };
  cells = {
    dropped: record.selector.kept.findIndex((k, j) => k === 0 && whole(j)),
    kept: record.selector.kept.findIndex((k, j) => k === 1 && whole(j)),
  };
  if (cells.dropped < 0 || cells.kept < 0) throw new Error('the answer needs a dropped and a kept cell on the image');
  const queue = await callRouter<Page<ReviewItem>>(app, 'mining:reviewQueue', {});
  if (queue.items.length !== 1) throw new Error(`expected one mined example, got ${queue.items.length}`);
  const exampleId = queue.items[0]!.exampleId;
  await callRouter(app, 'dataset:addRegion', exampleId, { ...inside(cells.dropped), note: 'dropped cell' });
  await callRouter(app, 'dataset:addRegion', exampleId, { ...inside(cells.kept), note: 'kept cell' });
  item = (await callRouter<Page<ReviewItem>>(app, 'mining:reviewQueue', {})).items[0]!;
}, 200_000);

afterAll(async () => {
  await app?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** RGBA of the overlay canvas at cell j's centre. */
async function overlayAt(j: number): Promise<number[]> {
  const r = tokenRect(record, j);
  return app.page.evaluate(
    ([x, y, w]) => {
      const c = document.querySelector<HTMLCanvasElement>('[data-testid="inspector"] [data-testid="overlay-canvas"]')!;
      const s = c.width / w!; // canvas pixels per original pixel
      return [...c.getContext('2d')!.getImageData(Math.round(x! * s), Math.round(y! * s), 1, 1).data];
    },
    [r.x + r.width / 2, r.y + r.height / 2, record.original.width],
  );
}
const orange = ([r, g, b, a]: number[]) => r! > 200 && g! > 140 && g! < 210 && b! < 90 && a! > 200;

describe('evidence coverage', () => {
  it('the queue flags dropped evidence; one click opens the inspector with the regions’ kept and dropped cells', async () => {
    expect(item.evidenceDropped).toBe(true);
    expect(item.coverage!.map((c) => [c.kept, c.cells])).toEqual([
      [0, 1],
      [1, 1],
    ]);
    const { page } = app;
    await page.getByTestId('nav-mining').click();
    await page.getByTestId('evidence-dropped').click();
    await page.getByTestId('inspector').waitFor();
    await page.getByTestId('evidence-answer').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('evidence-answer').innerText()).toBe(answer.trim());
    const rows = page.getByTestId('evidence-row');
    expect(await rows.count()).toBe(2);
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-dropped')))).toEqual(['true', 'false']);
    expect(await page.getByTestId('evidence-share').allInnerTexts()).toEqual(['0 of 1 cell kept (0%)', '1 of 1 cell kept (100%)']);
    // The queue's stored coverage and the inspector's agree (no "when mined" difference shown).
    expect(await page.getByText('when mined').count()).toBe(0);
    // The dropped cell is crossed (orange through its centre); the kept cell is only framed.
    expect(orange(await overlayAt(cells.dropped))).toBe(true);
    expect(orange(await overlayAt(cells.kept))).toBe(false);
    await app.screenshot('evidence-1440');
    // The selector figure (what "Export PNG" rasterises) carries the same regions through the shared renderer.
    const figSvg = async () => {
      await page.getByTestId('tab-depends').click();
      const src = decodeURIComponent((await page.getByTestId('fig-selector-overlay').getAttribute('src')) ?? '');
      const legend = await page.getByTestId('fig-selector-regions').count();
      await page.getByTestId('tab-image').click();
      return { src, legend };
    };
    const shown = await figSvg();
    expect(shown.src).toMatch(/data-layer="evidence".*>R1<\/text>.*>R2<\/text>/);
    expect(shown.legend).toBe(1);
    await page.getByTestId('evidence-toggle').uncheck();
    expect(orange(await overlayAt(cells.dropped))).toBe(false);
    const hidden = await figSvg();
    expect(hidden.src).not.toContain('data-layer="evidence"');
    expect(hidden.legend).toBe(0);
    await page.getByTestId('evidence-toggle').check();
  });

  it('the example editor’s evidence section opens the same inspector', async () => {
    const { page } = app;
    await page.getByTestId('inspector-close').click();
    expect(await page.getByTestId('inspector-drawer').count()).toBe(0);
    await page.getByTestId('queue-open').first().click();
    await expect.poll(() => page.getByTestId('example-editor').getAttribute('data-example-id')).toBe(String(item.exampleId));
    await expect.poll(() => page.getByTestId('evidence-coverage').getAttribute('data-dropped'), { timeout: 10_000 }).toBe('true');
    await page.getByTestId('evidence-inspect').click();
    await page.getByTestId('evidence-answer').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('evidence-share').allInnerTexts()).toEqual(['0 of 1 cell kept (0%)', '1 of 1 cell kept (100%)']);
    expect(orange(await overlayAt(cells.dropped))).toBe(true);
    await app.screenshot('evidence-dataset-1440');
  });

  it('stays legible at 1024×700', async () => {
    const { page } = app;
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.getByTestId('evidence-panel').scrollIntoViewIfNeeded();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(overflow).toBe(1024);
    await app.screenshot('evidence-1024');
    expect(app.pageErrors).toEqual([]);
  });
});
