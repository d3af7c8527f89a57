// e2e: inspector defects a new user hit, each fixed — the photo stays visible under the default heatmap + router
// weights, router weights have their own legend, re-ask runs are listed in the order they ran, and the tile grid
// says that local tokens can be black padding (with this answer's count).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startApp, type RunningApp } from './harness/startApp.ts';
import { NANO_DIR, askAndInspect, nanoSamples } from './harness/nano.ts';
import { medianOverlayAlpha } from './harness/overlay.ts';
import type { InspectionRecord } from '../../electron/shared/ipc/inference.ts';

// A wide sample: its tiles overhang the photo, so some local tokens lie on padding.
const sample = nanoSamples()[0]!;
let app: RunningApp;
let dataDir: string;
let record: InspectionRecord;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'slime-e2e-inspfix-'));
  app = await startApp({ dataDir, modelDir: NANO_DIR, viewport: { width: 1440, height: 900 } });
  record = await askAndInspect(app, sample);
});

afterAll(async () => {
  await app?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('inspector defects', () => {
  it('keeps the photo visible with the heatmap and router weights at the default opacity', async () => {
    const { page } = app;
    expect(await page.getByTestId('overlay-heatmap').isChecked()).toBe(true);
    await page.getByTestId('overlay-router').check();
    const alpha = await medianOverlayAlpha(page);
    expect(alpha).toBeGreaterThan(0.1);
    expect(alpha).toBeLessThanOrEqual(0.6);
    await app.screenshot('inspector-heatmap-router-default');
  });

  it('explains router weights with their own legend', async () => {
    const { page } = app;
    const legend = page.getByTestId('router-legend');
    await legend.waitFor();
    expect(await legend.innerText()).toMatch(/router/i);
    expect(await legend.innerText()).toMatch(/Q-former/);
    expect(await page.getByTestId('heat-legend').innerText()).toMatch(/selector score/);
    await page.getByTestId('overlay-router').uncheck();
    expect(await page.getByTestId('router-legend').count()).toBe(0);
  });

  it('says where the tile grid is shown that local tokens can be black padding', async () => {
    const { page } = app;
    const note = page.getByTestId('padding-note');
    await note.waitFor();
    expect(await note.innerText()).toMatch(/third of the local tokens/);
    const padded = Number(/(\d+) of the \d+ local tokens of this answer/.exec(await note.innerText())?.[1]);
    const perTile = record.localGrid * record.localGrid;
    expect(padded).toBeGreaterThanOrEqual(0);
    expect(padded).toBeLessThanOrEqual(record.tokens.localBefore - perTile);
    await page.getByTestId('overlay-grid').uncheck();
    expect(await page.getByTestId('padding-note').count()).toBe(0);
    await page.getByTestId('overlay-grid').check();
  });

  it('lists re-ask runs in the order they ran, after the original answer', async () => {
    const { page } = app;
    for (const topP of ['0.3', '0.9']) {
      await page.getByTestId('reselect-topp').evaluate((el: HTMLInputElement, v) => {
        el.value = v;
        el.dispatchEvent(new Event('input', { bubbles: true }));
      }, topP);
      await page.getByTestId('reselect-run').click();
      await page.getByTestId('reselect-run').waitFor({ timeout: 170_000 });
    }
    const rows = await page.getByTestId('reselect-row').allInnerTexts();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^1\s+0\.30/);
    expect(rows[1]).toMatch(/^2\s+0\.90/);
    const header = await page.getByTestId('reselect-runs').locator('tbody tr').first().innerText();
    expect(header).toMatch(/^original\s/);
    await app.screenshot('inspector-reask-order');
    expect(app.pageErrors).toEqual([]);
  });
});
