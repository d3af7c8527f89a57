// e2e: the shell opens in Chromium, switches views, and Settings shows app.info from the real services.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startApp, type RunningApp } from './harness/startApp.ts';
import { DEFAULT_MODEL_DIR } from '../../electron/node/paths.ts';
import { readAppVersion } from '../../electron/node/appVersion.ts';
import type { WindowApi } from '../../electron/shared/ipc/registry.ts';

let app: RunningApp;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'slime-e2e-'));
  app = await startApp({ dataDir, modelDir: DEFAULT_MODEL_DIR });
});

afterAll(async () => {
  await app?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('app shell', () => {
  it('opens on Chat and switches views through the navigation', async () => {
    const { page } = app;
    await page.getByTestId('view-chat').waitFor();
    await page.getByTestId('nav-dataset').click();
    await page.getByTestId('view-dataset').waitFor();
    expect(new URL(page.url()).hash).toBe('#/dataset');
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('view-settings').waitFor();
    await page.goBack();
    await page.getByTestId('view-dataset').waitFor();
  });

  it('shows app.info from the real services on Settings', async () => {
    const { page } = app;
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('app-info').waitFor();
    expect(await page.getByTestId('info-version').textContent()).toContain(readAppVersion());
    expect(await page.getByTestId('info-data-dir').textContent()).toBe(dataDir);
    const providers = await page.getByTestId('info-providers').textContent();
    expect(providers).toContain('cpu');
    const pid = await page.getByTestId('info-pid').textContent();
    expect(pid).toBe(`pid ${String(app.services.inference.pid)}`);
    await app.screenshot('shell');
    expect(app.pageErrors).toEqual([]);
  });

  it('rejects bad arguments with ipc/bad-args through the same router', async () => {
    const result = await app.page.evaluate(() => {
      const info = (window as unknown as { api: WindowApi }).api.app.info as unknown as (x: number) => Promise<unknown>;
      return info(42);
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'ipc/bad-args' } });
  });
});
