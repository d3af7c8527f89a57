// e2e: the inspector beside an answer, in Chromium against the real services — the selector heatmap renders and its
// hottest cell (computed here from the inspection record) lies on the object the question names, overlays toggle,
// zoom, "what the model saw" tiles, re-selection with a lower top-p, a drawn region saved with the example, and a
// layout that fits 1024×700.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startApp, type RunningApp } from './harness/startApp.ts';
import { NANO_DIR, askAndInspect, callRouter, nanoSamples, type NanoSample } from './harness/nano.ts';
import type { Example } from '../../electron/shared/ipc/dataset.ts';
import type { InspectionRecord } from '../../electron/shared/ipc/inference.ts';

function rank(order: string[], family: string | undefined): number {
  const i = order.indexOf(family ?? '');
  return i < 0 ? order.length : i;
}

function firstSample(): NanoSample {
  const samples = nanoSamples();
  // ship.py records, per sample, whether the Python reference's selector is hottest on the named object; the
  // e2e checks the app's own record reproduces that on such a sample (then detail questions about one object).
  const order = ['glyph', 'colour', 'shape'];
  const withBox = samples.filter((x) => Array.isArray(x.box) && x.box.length === 4);
  const score = (x: NanoSample): number => (x.selector_hot_on_object ? 0 : 10) + rank(order, x.family);
  return [...withBox].sort((a, b) => score(a) - score(b))[0] ?? samples[0]!;
}

let app: RunningApp;
let dataDir: string;
let record: InspectionRecord;
const sample = firstSample();

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'slime-e2e-insp-'));
  app = await startApp({ dataDir, modelDir: NANO_DIR, viewport: { width: 1366, height: 820 } });
  await app.page.getByTestId('view-chat').waitFor();
});

afterAll(async () => {
  await app?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function call<T>(channel: string, ...args: unknown[]): Promise<T> {
  return callRouter<T>(app, channel, ...args);
}

/** The hottest local token's rectangle in original pixels, computed here independently of the renderer. */
function hottestRect(rec: InspectionRecord): { x: number; y: number; width: number; height: number } {
  const scores = rec.selector.scores;
  const j = scores.indexOf(Math.max(...scores));
  const perRow = rec.grid.cols * rec.localGrid;
  const cell = rec.tileSize / rec.localGrid;
  const sx = rec.original.width / rec.canvas.imageWidth;
  const sy = rec.original.height / rec.canvas.imageHeight;
  const x0 = Math.max(0, ((j % perRow) * cell - rec.canvas.imageX) * sx);
  const y0 = Math.max(0, (Math.floor(j / perRow) * cell - rec.canvas.imageY) * sy);
  const x1 = Math.min(rec.original.width, ((j % perRow) * cell + cell - rec.canvas.imageX) * sx);
  const y1 = Math.min(rec.original.height, (Math.floor(j / perRow) * cell + cell - rec.canvas.imageY) * sy);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** Opaque pixels on the overlay canvas. */
async function overlayPixels(): Promise<number> {
  return app.page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('[data-testid="overlay-canvas"]');
    const d = c?.getContext('2d')?.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    if (d) for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
    return n;
  });
}

describe('inspector', () => {
  it('shows the heatmap, and its hottest cell lies on the object the question names', async () => {
    const { page } = app;
    record = await askAndInspect(app, sample);
    expect(await page.getByTestId('overlay-heatmap').isChecked()).toBe(true);
    const hot = hottestRect(record);
    const shown = (await page.getByTestId('inspector-stage').getAttribute('data-hottest'))!.split(',').map(Number);
    expect(shown[0]).toBeCloseTo(hot.x, 3);
    expect(shown[1]).toBeCloseTo(hot.y, 3);
    expect(shown[2]).toBeCloseTo(hot.width, 3);
    expect(shown[3]).toBeCloseTo(hot.height, 3);
    const [bx0, by0, bx1, by1] = sample.box;
    const overlaps = hot.x < bx1 && bx0 < hot.x + hot.width && hot.y < by1 && by0 < hot.y + hot.height;
    expect(overlaps, `hottest cell ${JSON.stringify(hot)} vs box ${JSON.stringify(sample.box)}`).toBe(true);
    const withHeat = await overlayPixels();
    expect(withHeat).toBeGreaterThan(0);
    await page.getByTestId('overlay-heatmap').uncheck();
    await page.getByTestId('overlay-grid').uncheck();
    await page.waitForFunction(() => true);
    expect(await overlayPixels()).toBe(0);
    await page.getByTestId('overlay-heatmap').check();
    await page.getByTestId('overlay-grid').check();
    expect(await overlayPixels()).toBe(withHeat);
    if (record.attentionHeat) {
      await page.getByLabel('Heatmap value').selectOption('attention');
      expect(await overlayPixels()).toBeGreaterThan(0);
      await page.getByLabel('Heatmap value').selectOption('score');
    }
  });

  it('zooms with the keyboard and shows what the model saw', async () => {
    const { page } = app;
    const stage = page.getByTestId('inspector-stage');
    const before = Number(await stage.getAttribute('data-zoom'));
    await stage.focus();
    await page.keyboard.press('+');
    expect(Number(await stage.getAttribute('data-zoom'))).toBeGreaterThan(before);
    await page.keyboard.press('0');
    await page.getByTestId('tab-saw').click();
    await page.getByTestId('model-saw').waitFor();
    expect(await page.getByTestId('saw-tile').count()).toBe(record.grid.tiles);
    // The global view is drawn once its pixels arrive, after the panel itself renders: wait for ink (fails on timeout).
    const globalInk = await page.waitForFunction(
      () => {
        const c = document.querySelector<HTMLCanvasElement>('[data-testid="saw-global"]');
        const d = c?.getContext('2d')?.getImageData(0, 0, c.width, c.height).data;
        return d ? d.some((v, i) => i % 4 !== 3 && v > 0) : false;
      },
      undefined,
      { timeout: 10_000 },
    );
    expect(await globalInk.jsonValue()).toBe(true);
    await app.screenshot('inspector-saw');
    await page.getByTestId('tab-image').click();
  });

  it('re-selects with a lower top-p and answers again', async () => {
    const { page } = app;
    await page.getByTestId('reselect-topp').evaluate((el: HTMLInputElement) => {
      el.value = '0.2';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    expect(await page.getByTestId('reselect-topp-value').innerText()).toBe('0.20');
    await page.getByTestId('reselect-run').click();
    await page.waitForFunction(
      () => /^\d+\/\d+$/.test(document.querySelector('[data-testid="reselect-kept"]')?.textContent ?? ''),
      undefined,
      { timeout: 170_000 },
    );
    const [kept, total] = (await page.getByTestId('reselect-kept').innerText()).split('/').map(Number);
    expect(total).toBe(record.tokens.localBefore);
    expect(kept).toBeLessThanOrEqual(record.tokens.localAfter);
    expect(Number(await page.getByTestId('legend-kept').innerText())).toBe(kept);
    expect((await page.getByTestId('reselect-answer').innerText()).length).toBeGreaterThan(0);
  });

  it('draws a region and saves it with the example', async () => {
    const { page } = app;
    await page.getByTestId('reselect-show-original').click();
    await page.getByTestId('tool-region').click();
    const box = (await page.getByTestId('inspector-stage').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.6, { steps: 5 });
    await page.mouse.up();
    await page.getByTestId('region-clear').waitFor();
    await page.getByText('Save with region').click();
    await page.getByTestId('save-region').waitFor();
    expect(await page.getByTestId('save-region-coverage').innerText()).toMatch(/kept \d+ of the \d+ local tokens/);
    await page.getByTestId('save-confirm').click();
    await page.getByTestId('saved-notice').waitFor();
    const id = Number(/#(\d+)/.exec(await page.getByTestId('saved-notice').innerText())?.[1]);
    const example = await call<Example>('dataset:getExample', id);
    expect(example.regions).toHaveLength(1);
    const r = example.regions[0]!;
    expect(r.x2).toBeGreaterThan(r.x1);
    expect(r.y2).toBeGreaterThan(r.y1);
    expect(r.x2).toBeLessThanOrEqual(record.original.width);
    expect(r.tokens?.length).toBeGreaterThan(0);
    await page.getByTestId('saved-notice').getByRole('button', { name: 'Dismiss' }).click();
    await app.screenshot('inspector');
    await page.emulateMedia({ colorScheme: 'dark' });
    await app.screenshot('inspector-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('fits 1024×700 with the inspector open', async () => {
    const { page } = app;
    await page.setViewportSize({ width: 1024, height: 700 });
    const overflow = await page.evaluate(() => ({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight }));
    expect(overflow.w).toBeLessThanOrEqual(1024);
    expect(overflow.h).toBeLessThanOrEqual(700);
    await page.getByTestId('inspector-stage').waitFor();
    await app.screenshot('inspector-1024');
    expect(app.pageErrors).toEqual([]);
  });
});
