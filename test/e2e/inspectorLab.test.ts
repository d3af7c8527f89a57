// e2e: the inspector's counterfactual lab in Chromium against the real services and SliME-Nano — force-drop the tile
// that holds the named object, keep only it, global only (history with kept counts and Δp of the first token), cells
// picked on the image or from a drawn region, the sweep (compared with the engine's own sweep call), the occlusion map with progress, its
// agreement and a PNG export; screenshots at 1440×900 and 1024×700.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { startApp, type RunningApp } from './harness/startApp.ts';
import { NANO_DIR, callRouter, nanoSamples } from './harness/nano.ts';
import { medianOverlayAlpha } from './harness/overlay.ts';
import type { Conversation, Message, Page } from '../../electron/shared/ipc/dataset.ts';
import type { InspectionRecord, SweepResult } from '../../electron/shared/ipc/inference.ts';
import { LEGEND_HEIGHT, LEGEND_MIN_WIDTH } from '../../electron/shared/heatmap.ts';

const sample = nanoSamples().find((s) => s.family === 'glyph') ?? nanoSamples()[0]!;
let app: RunningApp;
let dataDir: string;
let record: InspectionRecord;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'slime-e2e-lab-'));
  app = await startApp({ dataDir, modelDir: NANO_DIR, viewport: { width: 1440, height: 900 } });
  await app.page.getByTestId('view-chat').waitFor();
});
afterAll(async () => {
  await app?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** The tile whose rectangle holds the centre of the sample's object box, from the record's geometry. */
function objectTile(rec: InspectionRecord): number {
  const [x0, y0, x1, y1] = sample.box;
  const c = rec.canvas;
  const cx = (((x0 + x1) / 2) * c.imageWidth) / rec.original.width + c.imageX;
  const cy = (((y0 + y1) / 2) * c.imageHeight) / rec.original.height + c.imageY;
  return Math.floor(cy / rec.tileSize) * rec.grid.cols + Math.floor(cx / rec.tileSize);
}

const rows = (id: string) => app.page.getByTestId(id);

describe('inspector lab', () => {
  it('drops / keeps only the object’s tile and asks global only; the history lists each with kept counts and Δp', async () => {
    const { page } = app;
    await page.getByTestId('attach-input').setInputFiles(sample.image);
    await page.getByTestId('attachment').waitFor();
    await page.getByTestId('chat-input').fill(sample.question);
    await page.getByTestId('chat-send').click();
    await page.getByTestId('message-assistant').waitFor({ timeout: 170_000 });
    await page.getByTestId('message-inspect').click();
    await page.getByTestId('inspector').waitFor();
    const list = await callRouter<Page<Conversation>>(app, 'dataset:listConversations', {});
    const { messages } = await callRouter<{ messages: Message[] }>(app, 'dataset:getConversation', list.items[0]!.id);
    record = messages.find((m) => m.role === 'assistant')!.inspection as InspectionRecord;
    const tile = objectTile(record);
    const inTile = record.selector.tile.map((t, j) => (t === tile ? j : -1)).filter((j) => j >= 0);
    const keptInTile = inTile.filter((j) => record.selector.kept[j]).length;

    await page.getByTestId('tab-intervene').click();
    await rows('tile-toggle').nth(tile).click();
    expect(await page.getByTestId('selected-count').innerText()).toBe(`${inTile.length} cells selected`);
    await page.getByTestId('intervene-drop').click();
    await rows('intervention-row').first().waitFor({ timeout: 120_000 });
    expect(await rows('intervention-kept').first().innerText()).toBe(
      `${record.tokens.localAfter - keptInTile}/${record.tokens.localBefore}`,
    );
    expect(await page.getByTestId('reference-prob').innerText()).toMatch(/^\d+\.\d%$/);
    expect(await rows('intervention-delta').first().innerText()).toMatch(/^[+−]\d+\.\d pt$/);
    await page.getByTestId('intervene-keep-only').click();
    await rows('intervention-row').nth(1).waitFor({ timeout: 120_000 });
    expect(await rows('intervention-kept').nth(1).innerText()).toBe(`${inTile.length}/${record.tokens.localBefore}`);
    expect(await page.getByTestId('legend-kept').innerText()).toBe(String(inTile.length));
    await page.getByTestId('intervene-global').click();
    await rows('intervention-row').nth(2).waitFor({ timeout: 120_000 });
    expect(await rows('intervention-kept').nth(2).innerText()).toBe(`0/${record.tokens.localBefore}`);
    // Every cell dropped (selection cleared): the hatching still leaves at least half of the photo showing.
    await page.getByText('Clear', { exact: true }).click();
    expect(await page.getByTestId('legend-kept').innerText()).toBe('0');
    expect(await medianOverlayAlpha(page)).toBeLessThanOrEqual(0.5);
    // "Show" puts an intervention's kept set on the image: the drop of the object's tile.
    await rows('intervention-show').first().click();
    expect(await page.getByTestId('legend-kept').innerText()).toBe(String(record.tokens.localAfter - keptInTile));
    await app.screenshot('lab-interventions-1440');
  });

  it('picks cells on the image and by dragging a rectangle', async () => {
    const { page } = app;
    expect(await page.getByTestId('selected-count').innerText()).toBe('0 cells selected');
    await page.getByTestId('unit-cell').check();
    await page.getByTestId('select-cells').click();
    const box = (await page.getByTestId('inspector-stage').boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    expect(await page.getByTestId('selected-count').innerText()).toBe('1 cells selected');
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.3);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.6, { steps: 5 });
    await page.mouse.up();
    expect(Number((await page.getByTestId('selected-count').innerText()).split(' ')[0])).toBeGreaterThan(2);
    expect(await page.getByTestId('legend-selected').isVisible()).toBe(true);
    await page.getByText('Clear', { exact: true }).click();
    await page.getByTestId('tool-region').click();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.4);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.7, { steps: 5 });
    await page.mouse.up();
    await page.getByTestId('select-region-cells').click();
    const underRegion = Number((await page.getByTestId('selected-count').innerText()).split(' ')[0]);
    expect(underRegion).toBeGreaterThan(0);
    // The drawn region's evidence coverage counts the same cells (one computation: the mining coverage code).
    const drawn = page.locator('[data-testid="evidence-row"][data-region-id="0"] [data-testid="evidence-share"]');
    expect(await drawn.innerText()).toMatch(new RegExp(`^\\d+ of ${underRegion} cells? kept \\(\\d+%\\)$`));
    await page.getByTestId('region-clear').click();
  });

  it('sweeps the selector settings side by side, the same figures as the engine’s sweep', async () => {
    const { page } = app;
    await page.getByTestId('tab-sweep').click();
    await page.getByTestId('sweep-run').click();
    await page.getByTestId('sweep-summary').waitFor({ timeout: 170_000 });
    expect(await rows('sweep-row').count()).toBe(5);
    const kept = await rows('sweep-kept').allInnerTexts();
    expect(kept[0]).toBe(`0/${record.tokens.localBefore}`);
    expect(kept[4]).toBe(`${record.tokens.localBefore}/${record.tokens.localBefore}`);
    expect(await rows('sweep-diverge').nth(3).innerText()).toBe('same');
    const direct = await callRouter<SweepResult>(app, 'inference:sweep', {
      requestId: 'direct-sweep',
      image: { path: sample.image },
      question: sample.question,
      maxNewTokens: record.sampling.maxNewTokens,
    });
    expect(await rows('sweep-diverge').allInnerTexts()).toEqual(
      direct.settings.map((s) => (s.divergeAt === null ? 'same' : `char ${s.divergeAt}`)),
    );
    expect(await page.getByTestId('sweep-summary').innerText()).toContain(`${(direct.instability * 100).toFixed(0)}%`);
    await app.screenshot('lab-sweep-1440');
  });

  it('maps what the answer depended on beside the selector, with agreement and a PNG export', async () => {
    const { page } = app;
    await page.getByTestId('tab-depends').click();
    await page.getByTestId('occlusion-run').click();
    await page.getByTestId('fig-occlusion').waitFor({ timeout: 170_000 });
    expect(await page.getByTestId('occlusion-agreement').innerText()).toMatch(/^\d+%$/);
    expect(await page.locator('[data-testid="occlusion-groups"] tbody tr').count()).toBeGreaterThan(0);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('fig-occlusion-export').click()]);
    const file = path.join(dataDir, 'occlusion.png');
    await download.saveAs(file);
    const meta = await sharp(file).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual([
      'png',
      Math.max(record.original.width, LEGEND_MIN_WIDTH),
      record.original.height + LEGEND_HEIGHT,
    ]);
    await app.screenshot('lab-occlusion-1440');
  });

  it('shows progress of a block-level job and stops it without an error', async () => {
    const { page } = app;
    await page.getByTestId('occlusion-granularity').selectOption('block');
    await page.getByTestId('occlusion-run').click();
    await page.getByTestId('occlusion-progress').waitFor();
    // SliME-Nano can finish a block map before the click lands; then the job simply ends, also without an error.
    await page
      .getByTestId('occlusion-stop')
      .click({ timeout: 2_000 })
      .catch(() => undefined);
    await expect.poll(() => page.getByTestId('occlusion-run').isEnabled(), { timeout: 60_000 }).toBe(true);
    expect(await page.getByTestId('lab-error').count()).toBe(0);
  });

  it('keeps every panel legible at 1024×700', async () => {
    const { page } = app;
    await page.setViewportSize({ width: 1024, height: 700 });
    for (const [tab, name] of [
      ['tab-depends', 'lab-occlusion-1024'],
      ['tab-sweep', 'lab-sweep-1024'],
      ['tab-image', 'lab-interventions-1024'],
    ] as const) {
      await page.getByTestId(tab).click();
      if (tab === 'tab-image') await page.getByTestId('intervention-history').scrollIntoViewIfNeeded();
      if (tab === 'tab-depends') {
        // The two maps stay side by side (the occlusion map beside the selector's), legends included.
        const [sel, occ] = [await page.getByTestId('fig-selector').boundingBox(), await page.getByTestId('fig-occlusion').boundingBox()];
        expect(Math.abs(sel!.y - occ!.y), 'maps side by side').toBeLessThan(2);
        await page.getByTestId('occlusion-summary').scrollIntoViewIfNeeded();
      }
      const overflow = await page.evaluate(() => ({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight }));
      expect(overflow, name).toEqual({ w: 1024, h: 700 });
      await app.screenshot(name);
    }
    expect(app.pageErrors).toEqual([]);
  });
});
