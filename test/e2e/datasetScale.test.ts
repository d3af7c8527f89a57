// e2e, opt-in (SLIME_E2E_SCALE=1, ~30 s): the Dataset view over 100,000 examples in a real SQLite file keeps a bounded
// DOM, shows the last page after a jump to the bottom, and prints scroll frame times.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { startDatasetWorker } from '../../electron/node/datasetWorker.ts';
import type { NewExample } from '../../electron/shared/ipc/dataset.ts';
import { startApp, type RunningApp } from './harness/startApp.ts';
import { DEFAULT_MODEL_DIR } from '../../electron/node/paths.ts';

let app: RunningApp;
let dataDir: string;
const N = 100_000;

describe.runIf(process.env.SLIME_E2E_SCALE === '1')('dataset view at scale', () => {
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'slime-e2e-scale-'));
    const worker = startDatasetWorker({ dataDir, timeoutMs: 120_000 });
    const file = path.join(dataDir, 'a.png');
    await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 90, g: 140, b: 200 } } })
      .png()
      .toFile(file);
    const img = await worker.client.callWith('addImageFile', [file], {});
    if (!img.ok) throw new Error(img.error.message);
    const t0 = performance.now();
    for (let b = 0; b < N / 1000; b++) {
      const batch: NewExample[] = Array.from({ length: 1000 }, (_, i) => ({
        imageSha256: img.value.sha256,
        turns: [{ question: `Question ${b * 1000 + i}`, answer: 'An answer' }],
        tags: ['bulk'],
      }));
      const r = await worker.client.callWith('createExamples', [batch], { timeoutMs: 120_000 });
      if (!r.ok) throw new Error(r.error.message);
    }
    console.log('seeded 100k examples in ms', Math.round(performance.now() - t0));
    await worker.stop();
    app = await startApp({ dataDir, modelDir: DEFAULT_MODEL_DIR, viewport: { width: 1024, height: 700 } });
  }, 300_000);

  afterAll(async () => {
    await app?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('scrolls 100k examples with a bounded DOM', async () => {
    const page = app.page;
    await page.getByTestId('nav-dataset').click();
    await expect.poll(() => page.getByTestId('result-count').textContent(), { timeout: 20_000 }).toBe('100,000 results');
    await page.getByTestId('example-row').first().waitFor();
    const t0 = performance.now();
    await page.getByTestId('example-list').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.locator('[data-testid=example-row]', { hasText: 'Question 0' }).first().waitFor({ timeout: 20_000 });
    console.log('last page shown ms', Math.round(performance.now() - t0));
    const rows = await page.locator('[role=listitem]').count();
    console.log('rows in DOM', rows);
    const frame = await page.evaluate(async () => {
      const list = document.querySelector('[data-testid=example-list]')!;
      const times: number[] = [];
      let last = performance.now();
      for (let i = 0; i < 60; i++) {
        list.scrollTop -= 400;
        await new Promise((r) => requestAnimationFrame(r));
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      times.sort((a, b) => a - b);
      return { median: times[30], p95: times[57] };
    });
    console.log('scroll frame ms', JSON.stringify(frame));
    expect(rows).toBeLessThan(40);
  }, 120_000);
});
