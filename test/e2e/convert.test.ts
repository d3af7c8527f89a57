// e2e: Settings → Models → "Convert a SliME checkpoint…" in Chromium (browser mode: typed, checked paths) against the
// real services — a wrong folder shows the named error; the tiny released-layout checkpoint converts with progress
// shown and the new model appears in the model list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startApp, type RunningApp } from './harness/startApp.ts';
import { NANO_DIR } from './harness/nano.ts';
import { writeTinyCheckpoint, type TinyCheckpoint } from '../integration/fixtures/tinyCheckpoint.ts';

let app: RunningApp;
let dataDir: string;
let tiny: TinyCheckpoint;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'slime-e2e-convert-'));
  tiny = writeTinyCheckpoint(dataDir, 'SliME-tiny-ckpt');
  app = await startApp({ dataDir, modelDir: NANO_DIR });
  await app.page.getByTestId('nav-settings').click();
});

afterAll(async () => {
  await app?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('convert dialog', () => {
  it('checks the folders, converts with progress and lists the new model', async () => {
    const page = app.page;
    await page.getByTestId('convert-open').click();
    const dialog = page.getByTestId('convert-dialog');
    // Browser mode: no native dialog, so the page says to type paths and offers no "Choose…" beside them.
    await expect.poll(() => dialog.getByText('File dialogs are not available in browser mode').count()).toBe(1);
    for (const field of ['checkpoint', 'clip', 'out']) expect(await page.getByTestId(`convert-${field}-choose`).count()).toBe(0);

    await page.getByTestId('convert-checkpoint').fill(tiny.clip);
    await page.getByTestId('convert-clip').fill(tiny.clip);
    await page.getByTestId('convert-check').click();
    await expect.poll(() => page.getByTestId('convert-error').getAttribute('data-code')).toBe('convert/not-a-checkpoint');

    await page.getByTestId('convert-checkpoint').fill(tiny.checkpoint);
    await page.getByTestId('convert-check').click();
    const out = path.join(dataDir, 'models', 'SliME-tiny-ckpt-int4');
    await expect.poll(() => page.getByTestId('convert-plan').innerText()).toContain(out);
    await expect.poll(() => page.getByTestId('convert-plan').innerText()).toContain('(ready)');

    const fractions: number[] = [];
    await page.exposeFunction('recordFraction', (f: number) => fractions.push(f));
    await page.evaluate(() => {
      const w = window as unknown as {
        api: { convert: { onProgress(l: (j: { fraction: number }) => void): void } };
        recordFraction(f: number): void;
      };
      w.api.convert.onProgress((j) => w.recordFraction(j.fraction));
    });
    await page.getByTestId('convert-start').click();
    const job = page.getByTestId('convert-job');
    await job.waitFor();
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
    expect(await page.getByTestId('convert-done').innerText()).toContain(out);
    expect(Number(await page.getByTestId('convert-progress').getAttribute('value'))).toBe(1);
    // Progress was shown on the way: several distinct fractions below 1 reached the page.
    expect(new Set(fractions.filter((f) => f > 0 && f < 1)).size).toBeGreaterThanOrEqual(3);
    await app.screenshot('settings-convert-done');

    await page.keyboard.press('Escape');
    const row = page.getByTestId('model-row').filter({ hasText: out });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.innerText()).toContain('int4');
    expect(app.pageErrors).toEqual([]);
  });
});
