// e2e: layout at the two window sizes a new user tried (1440×900 and 1024×700), screenshots of each — the Dataset
// list fills the height with and without the optional bulk bar, its thumbnails and the open example load by hash
// (/image/sha/<sha256>), and the chat header never covers the inspector.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startApp, type RunningApp } from './harness/startApp.ts';
import { NANO_DIR, askAndInspect, callRouter, nanoSamples } from './harness/nano.ts';
import type { ImageRecord } from '../../electron/shared/ipc/dataset.ts';

const SIZES = [
  { width: 1440, height: 900 },
  { width: 1024, height: 700 },
];
const EXAMPLES = 40;
let app: RunningApp;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'slime-e2e-layout-'));
  app = await startApp({ dataDir, modelDir: NANO_DIR, viewport: SIZES[0] });
  const sample = nanoSamples()[0]!;
  const image = await callRouter<ImageRecord>(app, 'dataset:addImage', new Uint8Array(await readFile(sample.image)), 'sample.png');
  for (let i = 0; i < EXAMPLES; i++) {
    await callRouter(app, 'dataset:createExample', {
      imageSha256: image.sha256,
      turns: [{ question: `Layout question ${i}`, answer: 'An answer' }],
    });
  }
});

afterAll(async () => {
  await app?.close();
  await rm(dataDir, { recursive: true, force: true });
});

interface Boxes {
  list: { top: number; bottom: number; height: number };
  editor: { top: number; bottom: number };
  rows: number;
}

async function datasetBoxes(page: Page): Promise<Boxes> {
  return page.evaluate(() => {
    const list = document.querySelector('[data-testid="example-list"]')!.getBoundingClientRect();
    const editor = document.querySelector('[data-testid="editor-pane"]')!.getBoundingClientRect();
    const rows = [...document.querySelectorAll('[data-testid="example-row"]')].filter((r) => {
      const b = r.getBoundingClientRect();
      return b.bottom <= list.bottom + 1 && b.top >= list.top - 1;
    }).length;
    return { list: { top: list.top, bottom: list.bottom, height: list.height }, editor: { top: editor.top, bottom: editor.bottom }, rows };
  });
}

/** The list reaches down to the editor pane's bottom and shows many rows, not ~1.5 of them. */
function expectListFills(boxes: Boxes, height: number): void {
  expect(boxes.list.height, JSON.stringify(boxes)).toBeGreaterThan(height * 0.5);
  expect(Math.abs(boxes.list.bottom - boxes.editor.bottom), JSON.stringify(boxes)).toBeLessThanOrEqual(4);
  expect(boxes.rows).toBeGreaterThanOrEqual(5);
}

describe('layout at 1440×900 and 1024×700', () => {
  for (const size of SIZES) {
    it(`fills the height with the Dataset list at ${size.width}×${size.height}, with and without the bulk bar`, async () => {
      const { page } = app;
      await page.setViewportSize(size);
      await page.getByTestId('nav-dataset').click();
      await expect.poll(() => page.getByTestId('result-count').textContent()).toBe(`${EXAMPLES} results`);
      await page.getByTestId('example-row').first().waitFor();
      expectListFills(await datasetBoxes(page), size.height);
      await app.screenshot(`dataset-list-${size.width}`);
      await page.getByTestId('example-row').first().getByRole('checkbox').check();
      await page.getByTestId('bulk-bar').waitFor();
      expectListFills(await datasetBoxes(page), size.height);
      await app.screenshot(`dataset-list-bulk-${size.width}`);
      await page.getByTestId('bulk-bar').getByRole('button', { name: 'Clear', exact: true }).click();
      await page.getByTestId('bulk-bar').waitFor({ state: 'detached' });
    });
  }

  it("shows thumbnails and the open example's image from /image/sha/<sha256> (no URL lookups)", async () => {
    const page = app.page;
    await page.getByTestId('nav-dataset').click();
    const thumb = page.getByTestId('example-row').first().locator('img');
    await thumb.waitFor();
    expect(await thumb.getAttribute('src')).toMatch(/^\/image\/sha\/[0-9a-f]{64}$/);
    await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
    await page.getByTestId('example-row').first().locator('button.open').click();
    const shown = page.getByTestId('example-editor').locator('img').first();
    await shown.waitFor();
    expect(await shown.getAttribute('src')).toMatch(/^\/image\/sha\/[0-9a-f]{64}$/);
    await expect.poll(() => shown.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
    expect(app.pageErrors).toEqual([]);
  });

  it('asks once so the inspector can be opened', async () => {
    await app.page.getByTestId('nav-chat').click();
    const record = await askAndInspect(app, nanoSamples()[0]!);
    expect(record.grid.tiles).toBeGreaterThan(0);
  });

  for (const size of SIZES) {
    it(`keeps the chat header clear of the inspector's tabs at ${size.width}×${size.height}`, async () => {
      const { page } = app;
      await page.setViewportSize(size);
      await page.getByTestId('tab-image').waitFor();
      const hit = await page.evaluate(() => {
        const overlap = (a: DOMRect, b: DOMRect): boolean => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        const settings = document.querySelector('[data-testid="chat-settings"]')!.getBoundingClientRect();
        const tabs = ['tab-image', 'tab-saw', 'inspector-close'].map((id) => document.querySelector(`[data-testid="${id}"]`)!);
        return tabs.map((tab) => {
          const b = tab.getBoundingClientRect();
          const top = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
          return { id: tab.getAttribute('data-testid'), covered: !tab.contains(top), overlapsSettings: overlap(settings, b) };
        });
      });
      for (const h of hit) expect(h, JSON.stringify(h)).toMatchObject({ covered: false, overlapsSettings: false });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(overflow).toBeLessThanOrEqual(size.width);
      await app.screenshot(`chat-inspector-${size.width}`);
    });
  }

  it('raised no page errors', () => {
    expect(app.pageErrors).toEqual([]);
  });
});
