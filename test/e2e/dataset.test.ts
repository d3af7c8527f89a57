// e2e: curation in the Dataset view against the real dataset service and a real SQLite file — find an example,
// edit its answer, tag it, draw a region, accept it with the keyboard (and undo), export LLaVA JSON through the dialog
// and check the file on disk. Screenshots: dataset.png, example-editor.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Example } from '../../electron/shared/ipc/dataset.ts';
import { seedDataset } from './harness/datasetSeed.ts';
import { E2E_OUTPUT_DIR, startApp, type RunningApp } from './harness/startApp.ts';
import { REPO_ROOT } from '../../electron/node/paths.ts';

const NANO_DIR = path.join(REPO_ROOT, 'models', 'nano');
/** SliME-Nano once it has shipped, else the tiny fixture model (the detail score only needs finite numbers here). */
const MODEL_DIR = existsSync(path.join(NANO_DIR, 'manifest.json')) ? NANO_DIR : path.join(REPO_ROOT, 'test', 'fixtures', 'slime-tiny');

let app: RunningApp;
let dataDir: string;
let exampleId: number;

/** Calls `dataset.<method>` through the same router the page uses; throws on a failed Result. */
async function call<T>(method: string, ...args: unknown[]): Promise<T> {
  const result = await app.router.dispatch(`dataset:${method}`, args);
  if (!result.ok) throw new Error(`${method}: ${result.error.code} ${result.error.message}`);
  return result.value as T;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'slime-e2e-dataset-'));
  app = await startApp({ dataDir, modelDir: MODEL_DIR, viewport: { width: 1024, height: 700 } });
  exampleId = await seedDataset(app, dataDir);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('dataset curation', () => {
  it('finds, edits, tags, annotates and accepts an example with the keyboard', async () => {
    const page = app.page;
    await page.getByTestId('nav-dataset').click();
    await expect.poll(() => page.getByTestId('stat-total').textContent()).toBe('25');
    await page.getByTestId('example-row').first().waitFor();
    // Virtualised: only the rows in view (plus a few) are in the DOM.
    const drawn = await page.locator('[data-testid=example-list] [role=listitem]').count();
    expect(drawn).toBeGreaterThan(5);
    expect(drawn).toBeLessThan(25);

    await page.getByTestId('dataset-search').fill('ball');
    await expect.poll(() => page.getByTestId('result-count').textContent()).toBe('1 result');
    await page.locator(`[data-testid=example-row][data-example-id="${exampleId}"] button.open`).click();
    const editor = page.getByTestId('example-editor');
    await editor.waitFor();

    await editor.getByTestId('turn-answer').fill('The ball is red, with a white stripe.');
    await page.keyboard.press('Control+s');
    await expect.poll(() => page.getByTestId('answer-source').textContent()).toBe('Human-edited');
    expect(await page.getByTestId('provenance').textContent()).toContain('local kept 96 of 288');

    await editor.getByTestId('tag-text').fill('colour');
    await editor.getByTestId('tag-text').press('Enter');
    await editor.getByTestId('tag-chip').first().waitFor();

    // Draw a box over the ball: it sits at (140..260, 270..390) in the 640×480 original.
    const canvas = editor.getByTestId('region-canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    const at = (x: number, y: number): [number, number] => [box.x + (x / 640) * box.width, box.y + (y / 480) * box.height];
    await page.mouse.move(...at(140, 270));
    await page.mouse.down();
    await page.mouse.move(...at(200, 330), { steps: 4 });
    await page.mouse.move(...at(260, 390), { steps: 4 });
    await page.mouse.up();
    await editor.getByTestId('region-box').first().waitFor();
    await editor.getByTestId('region-note').fill('the red ball');
    await editor.getByTestId('region-note').press('Tab');

    // Leave the fields, then review with the default shortcut "A"; undo it with Ctrl+Z and accept again.
    await editor.locator('h2').click();
    await page.keyboard.press('a');
    await expect.poll(async () => (await call<Example>('getExample', exampleId)).status, { timeout: 5000 }).toBe('accepted');
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await call<Example>('getExample', exampleId)).status, { timeout: 5000 }).toBe('needs-review');
    await page.keyboard.press('a');
    await expect.poll(async () => (await call<Example>('getExample', exampleId)).status, { timeout: 5000 }).toBe('accepted');

    const saved = await call<Example>('getExample', exampleId);
    expect(saved.turns[0]!.answer).toBe('The ball is red, with a white stripe.');
    expect(saved.answerSource).toBe('human-edited');
    expect(saved.tags).toEqual(['colour']);
    expect(saved.regions).toHaveLength(1);
    const r = saved.regions[0]!;
    expect(r.note).toBe('the red ball');
    // Original-image pixels, within a few pixels of where the pointer went.
    for (const [got, want] of [
      [r.x1, 140],
      [r.y1, 270],
      [r.x2, 260],
      [r.y2, 390],
    ] as const)
      expect(Math.abs(got - want)).toBeLessThanOrEqual(4);

    await page.getByTestId('dataset-search').fill('');
    await expect.poll(() => page.getByTestId('result-count').textContent()).toBe('25 results');
    await page.locator(`[data-testid=example-row][data-example-id="${exampleId}"] button.open`).click();
    await editor.getByTestId('region-box').first().waitFor();
    await app.screenshot('dataset');
    // The editor on a taller window, so image, regions, turns, tags and provenance are all in view.
    await page.setViewportSize({ width: 1280, height: 1560 });
    await page.getByTestId('editor-pane').evaluate((el) => el.scrollTo(0, 0));
    const pane = (await page.getByTestId('editor-pane').boundingBox())!;
    await page.screenshot({ path: path.join(E2E_OUTPUT_DIR, 'example-editor.png'), clip: pane });
    await page.setViewportSize({ width: 1024, height: 700 });
    expect(app.pageErrors).toEqual([]);
  }, 60_000);

  it('scores the selected example with the inference engine', async () => {
    const page = app.page;
    await page.locator(`[data-testid=example-row][data-example-id="${exampleId}"] input[type=checkbox]`).check();
    await page.getByTestId('open-score').click();
    const dialog = page.getByTestId('score-dialog');
    await dialog.getByTestId('score-start').click();
    await dialog.getByTestId('score-summary').waitFor({ timeout: 60_000 });
    expect(await dialog.getByTestId('score-count').textContent()).toBe('1');
    await dialog.getByRole('button', { name: 'Done' }).click();
    const scored = await call<Example>('getExample', exampleId);
    expect(Number.isFinite(scored.detailScore)).toBe(true);
    await expect.poll(() => page.getByTestId('detail-score').textContent(), { timeout: 5000 }).toContain(scored.detailScore!.toFixed(3));
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    expect(app.pageErrors).toEqual([]);
  }, 90_000);

  it('exports LLaVA JSON through the dialog', async () => {
    const page = app.page;
    const outDir = path.join(dataDir, 'export-llava');
    await page.getByTestId('open-export').click();
    const dialog = page.getByTestId('export-dialog');
    await dialog.getByTestId('format-llava').check();
    await app.screenshot('dataset-export-form');
    await dialog.getByTestId('export-dir-input').fill('relative/folder');
    await dialog.getByTestId('export-start').click();
    await dialog.getByRole('alert').waitFor();
    await dialog.getByTestId('export-dir-input').fill(outDir);
    await dialog.getByTestId('export-start').click();
    await dialog.getByTestId('export-summary').waitFor();
    await app.screenshot('dataset-export');
    // Seeded: 6 accepted of 24, plus the reviewed one.
    expect(await dialog.getByTestId('export-count').textContent()).toBe('7');

    const records = JSON.parse(await readFile(path.join(outDir, 'train.json'), 'utf8')) as {
      id: string;
      image: string;
      conversations: { from: string; value: string }[];
    }[];
    expect(records).toHaveLength(7);
    for (const record of records) {
      expect(typeof record.id).toBe('string');
      expect(path.isAbsolute(record.image)).toBe(false);
      expect((await stat(path.join(outDir, record.image))).isFile()).toBe(true);
      expect(record.conversations.map((t) => t.from)).toEqual(record.conversations.map((_, i) => (i % 2 === 0 ? 'human' : 'gpt')));
      expect(record.conversations[0]!.value.startsWith('<image>\n')).toBe(true);
    }
    const ours = records.find((x) => x.conversations[0]!.value.includes('colour is the ball'));
    expect(ours?.conversations[1]!.value).toBe('The ball is red, with a white stripe.');

    // Into the same folder again: the dialog asks first, and writes only when told to.
    await dialog.getByRole('button', { name: 'Export again' }).click();
    await dialog.getByTestId('export-start').click();
    await dialog.getByTestId('export-not-empty').waitFor();
    expect(await dialog.getByTestId('export-summary').count()).toBe(0);
    await dialog.getByTestId('export-overwrite').click();
    await dialog.getByTestId('export-summary').waitFor();
    expect(await dialog.getByTestId('export-count').textContent()).toBe('7');

    // The same examples as COCO with a validation split: the drawn box comes out in original-image pixels.
    await dialog.getByRole('button', { name: 'Export again' }).click();
    await dialog.getByTestId('format-coco').check();
    await dialog.getByTestId('export-val').fill('30');
    await dialog.getByTestId('export-dir-input').fill(path.join(dataDir, 'export-coco'));
    await dialog.getByTestId('export-start').click();
    await dialog.getByTestId('export-summary').waitFor();
    const files = ['coco_train.json', 'coco_val.json'].map((f) => path.join(dataDir, 'export-coco', f)).filter((f) => existsSync(f));
    const cocos = await Promise.all(
      files.map(async (f) => JSON.parse(await readFile(f, 'utf8')) as { annotations: { bbox: number[]; caption: string }[] }),
    );
    const boxes = cocos.flatMap((c) => c.annotations);
    expect(boxes).toHaveLength(1);
    expect(boxes[0]!.caption).toBe('the red ball');
    const [x, y, w, h] = boxes[0]!.bbox as [number, number, number, number];
    for (const [got, want] of [
      [x, 140],
      [y, 270],
      [w, 120],
      [h, 120],
    ] as const)
      expect(Math.abs(got - want)).toBeLessThanOrEqual(6);
    await dialog.getByRole('button', { name: 'Done' }).click();
    expect(app.pageErrors).toEqual([]);
  }, 60_000);

  it('imports the exported file back, and explains a missing file', async () => {
    const page = app.page;
    await page.getByTestId('open-import').click();
    const dialog = page.getByTestId('import-dialog');
    await dialog.getByTestId('import-file').fill(path.join(dataDir, 'no-such-file.json'));
    await dialog.getByTestId('import-start').click();
    await expect.poll(() => dialog.getByTestId('import-error').textContent()).toContain('io/not-found');
    // The export as it is repeats the 7 examples (same image + same turns): reported, not imported twice.
    await dialog.getByTestId('import-file').fill(path.join(dataDir, 'export-llava', 'train.json'));
    await dialog.getByTestId('import-start').click();
    await dialog.getByTestId('import-summary').waitFor();
    expect(await dialog.getByTestId('import-count').textContent()).toBe('0');
    expect(await dialog.getByTestId('import-duplicates').textContent()).toContain('7 records repeat an example');
    // With new answers the same images make 7 new examples.
    const exported = JSON.parse(await readFile(path.join(dataDir, 'export-llava', 'train.json'), 'utf8')) as {
      conversations: { value: string }[];
    }[];
    for (const record of exported) record.conversations[1]!.value += ' (second opinion)';
    await writeFile(path.join(dataDir, 'export-llava', 'second.json'), JSON.stringify(exported));
    await dialog.getByRole('button', { name: 'Import another' }).click();
    await dialog.getByTestId('import-file').fill(path.join(dataDir, 'export-llava', 'second.json'));
    await dialog.getByTestId('import-start').click();
    await dialog.getByTestId('import-summary').waitFor();
    expect(await dialog.getByTestId('import-count').textContent()).toBe('7');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => page.getByTestId('stat-total').textContent(), { timeout: 5000 }).toBe('32');
    expect(app.pageErrors).toEqual([]);
  }, 30_000);

  it('finds the re-imported examples as exact duplicates and ticks them', async () => {
    const page = app.page;
    await page.getByTestId('open-duplicates').click();
    const dialog = page.getByTestId('duplicates-dialog');
    await dialog.getByRole('spinbutton').fill('0');
    await dialog.getByRole('button', { name: 'Search again' }).click();
    // The 7 imported examples reuse the images and questions of the 7 exported ones: true duplicates, said so.
    const same = dialog.locator('[data-testid=duplicate-groups] li[data-reason=same-image-same-question]');
    await expect.poll(() => same.count()).toBe(7);
    expect(await same.first().textContent()).toContain('Same image, same question');
    expect(await same.first().getByTestId('duplicate-why').textContent()).toContain('true duplicates');
    // No group advises deleting different questions about one image.
    const other = dialog.locator('[data-testid=duplicate-groups] li[data-reason=same-image]');
    for (let i = 0; i < (await other.count()); i++) {
      expect(
        await other
          .nth(i)
          .getByRole('button', { name: /^Tick all but/ })
          .count(),
      ).toBe(0);
    }
    await app.screenshot('dataset-duplicates');
    await same
      .first()
      .getByRole('button', { name: /^Tick all but/ })
      .click();
    await expect.poll(() => page.getByTestId('bulk-bar').textContent()).toContain('1 selected');
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    expect(app.pageErrors).toEqual([]);
  });

  it('adds, moves and deletes a region with the keyboard', async () => {
    const page = app.page;
    const editor = page.getByTestId('example-editor');
    await editor.getByTestId('add-region').click();
    await expect.poll(() => editor.getByTestId('region-box').count()).toBe(2);
    const before = (await call<Example>('getExample', exampleId)).regions[1]!;
    expect([before.x1, before.y1, before.x2, before.y2]).toEqual([240, 180, 400, 300]);
    await editor.getByTestId('region-box').nth(1).focus();
    await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('Alt+ArrowDown');
    await expect
      .poll(async () => (await call<Example>('getExample', exampleId)).regions[1]!.x1, { timeout: 5000 })
      .toBeGreaterThan(before.x1);
    const moved = (await call<Example>('getExample', exampleId)).regions[1]!;
    expect(moved.x2 - moved.x1).toBe(before.x2 - before.x1);
    await expect
      .poll(async () => (await call<Example>('getExample', exampleId)).regions[1]!.y2, { timeout: 5000 })
      .toBeGreaterThan(before.y2);
    await editor.getByTestId('region-box').nth(1).focus();
    await page.keyboard.press('Delete');
    await expect.poll(async () => (await call<Example>('getExample', exampleId)).regions.length, { timeout: 5000 }).toBe(1);
    expect(app.pageErrors).toEqual([]);
  }, 30_000);
});
