// e2e: getting around the Dataset view against the real dataset service and a real SQLite file — open an example
// named in the address, bulk-delete and undo (list and grid), and review with a shortcut rebound in Settings (kept in
// the data folder's settings.json). Screenshots: dataset-grid.png, settings-shortcuts.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Example } from '../../electron/shared/ipc/dataset.ts';
import { seedDataset } from './harness/datasetSeed.ts';
import { startApp, type RunningApp } from './harness/startApp.ts';
import { REPO_ROOT } from '../../electron/node/paths.ts';

/** The tiny fixture model: nothing here runs the model, the services only report it. */
const MODEL_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'slime-tiny');

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
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'slime-e2e-dataset-nav-'));
  app = await startApp({ dataDir, modelDir: MODEL_DIR, viewport: { width: 1024, height: 700 } });
  exampleId = await seedDataset(app, dataDir);
  await app.page.getByTestId('nav-dataset').click();
  await app.page.getByTestId('example-row').first().waitFor();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('dataset navigation', () => {
  it('opens an example named in the address (#/dataset?example=<id>)', async () => {
    const page = app.page;
    const other = Number(await page.getByTestId('example-row').nth(3).getAttribute('data-example-id'));
    await page.evaluate((id) => (location.hash = `#/dataset?example=${id}`), other);
    await expect.poll(() => page.getByTestId('example-editor').getAttribute('data-example-id')).toBe(String(other));
    await page.evaluate((id) => (location.hash = `#/dataset?example=${id}`), exampleId);
    await expect.poll(() => page.getByTestId('example-editor').getAttribute('data-example-id')).toBe(String(exampleId));
    expect(app.pageErrors).toEqual([]);
  });

  it('bulk-deletes selected examples and undoes the delete', async () => {
    const page = app.page;
    const rows = page.getByTestId('example-row');
    const ids = await Promise.all([1, 2].map(async (i) => Number(await rows.nth(i).getAttribute('data-example-id'))));
    for (const i of [1, 2]) await rows.nth(i).locator('input[type=checkbox]').check();
    await page.getByTestId('bulk-bar').waitFor();
    await page.getByTestId('bulk-delete').click();
    await expect.poll(() => page.getByTestId('stat-total').textContent(), { timeout: 5000 }).toBe('23');
    for (const id of ids) expect((await call<Example>('getExample', id)).deletedAt).not.toBeNull();
    await page.getByTestId('undo').click();
    await expect.poll(() => page.getByTestId('stat-total').textContent(), { timeout: 5000 }).toBe('25');
    for (const id of ids) expect((await call<Example>('getExample', id)).deletedAt).toBeNull();

    // The grid shows the same results as cards; the open example stays marked.
    await page.getByTestId('layout-grid').click();
    await page.getByTestId('example-card').first().waitFor();
    expect(await page.locator(`[data-testid=example-card][data-example-id="${exampleId}"] [aria-current=true]`).count()).toBe(1);
    await app.screenshot('dataset-grid');
    await page.getByRole('button', { name: 'List', exact: true }).click();
    await page.getByTestId('example-row').first().waitFor();
    expect(app.pageErrors).toEqual([]);
  }, 30_000);

  it('uses a shortcut rebound in Settings', async () => {
    const page = app.page;
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('shortcut-reject').click();
    await page.keyboard.press('x');
    await expect.poll(() => page.getByTestId('shortcut-reject').textContent()).toBe('X');
    await page.getByTestId('shortcut-settings').scrollIntoViewIfNeeded();
    await app.screenshot('settings-shortcuts');
    await page.getByTestId('nav-dataset').click();
    await page.locator(`[data-testid=example-row][data-example-id="${exampleId}"] button.open`).click();
    await page.getByTestId('example-editor').locator('h2').click();
    await page.keyboard.press('x');
    await expect.poll(async () => (await call<Example>('getExample', exampleId)).status, { timeout: 5000 }).toBe('rejected');
    // Kept by main in the data folder's settings.json (browser mode keeps it across ports), not in the page.
    const stored = (): Promise<string> => readFile(path.join(dataDir, 'settings.json'), 'utf8').catch(() => '');
    await expect
      .poll(async () => (JSON.parse((await stored()) || '{}') as { shortcuts?: Record<string, string> }).shortcuts?.reject)
      .toBe('X');
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(app.pageErrors).toEqual([]);
  }, 30_000);
});
