// e2e: settings live in the data folder, not the page — model folders, the chosen model, chat defaults and shortcuts
// set in one browser-mode server are there in a second server on another port over the same data folder; a folder
// that fails validation is refused with its error and not stored; the shipped model added by a relative path keeps
// its "shipped" label and stays the checked choice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startApp, type RunningApp } from './harness/startApp.ts';
import { NANO_DIR, TINY_DIR } from './harness/nano.ts';
import type { Settings } from '../../electron/shared/ipc/settings.ts';

let app: RunningApp | undefined;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'slime-e2e-settings-'));
});

afterAll(async () => {
  await app?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function open(): Promise<RunningApp> {
  const started = await startApp({ dataDir, modelDir: NANO_DIR, viewport: { width: 1280, height: 800 } });
  await started.page.getByTestId('nav-settings').click();
  await started.page.getByTestId('model-row').first().waitFor();
  return started;
}

async function stored(): Promise<Settings> {
  return JSON.parse(await readFile(path.join(dataDir, 'settings.json'), 'utf8')) as Settings;
}

const row = (a: RunningApp, name: string) => a.page.getByTestId('model-row').filter({ hasText: name });

describe('settings in the data folder', () => {
  it('refuses a folder that fails validation, with its error, and does not store it', async () => {
    app = await open();
    const { page } = app;
    await page.getByTestId('model-folder-input').fill(dataDir);
    await page.getByTestId('model-folder-add').click();
    await page.getByTestId('model-error').waitFor();
    expect(await page.getByTestId('model-error').innerText()).toMatch(/inference\/model-(missing|invalid)/);
    await page.reload();
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('model-row').first().waitFor();
    expect(await page.getByTestId('model-row').count()).toBe(1);
    expect(await page.getByTestId('model-list').innerText()).not.toContain(dataDir);
  });

  it('keeps the shipped label and the checked choice when the shipped model is added by a relative path', async () => {
    const { page } = app!;
    await page.getByTestId('model-folder-input').fill(path.relative(process.cwd(), NANO_DIR));
    await page.getByTestId('model-folder-add').click();
    await expect.poll(() => page.getByTestId('model-folder-input').inputValue()).toBe('');
    expect(await page.getByTestId('model-row').count()).toBe(1);
    expect(await row(app!, 'SliME-Nano').innerText()).toContain('shipped');
    expect(await row(app!, 'SliME-Nano').getByRole('radio').isChecked()).toBe(true);
    expect(await page.getByTestId('model-error').count()).toBe(0);
  });

  it('offers no native folder dialog in browser mode: the path is typed', async () => {
    const { page } = app!;
    const answer = await page.evaluate(() =>
      (window as unknown as { api: { dialog: { available(): Promise<unknown> } } }).api.dialog.available(),
    );
    expect(answer).toEqual({ ok: true, value: false });
    await page.getByTestId('model-folder-input').waitFor();
    expect(await page.getByTestId('model-folder-choose').count()).toBe(0);
  });

  it('keeps model folders, the chosen model, chat defaults and shortcuts across servers on other ports', async () => {
    const { page } = app!;
    await page.getByTestId('model-folder-input').fill(TINY_DIR);
    await page.getByTestId('model-folder-add').click();
    await row(app!, 'SliME-tiny-fixture').waitFor();
    await row(app!, 'SliME-tiny-fixture').getByRole('radio').check();
    await page.getByTestId('defaults-temperature').fill('0.7');
    await page.getByTestId('defaults-temperature').dispatchEvent('change');
    await page.getByTestId('defaults-save').click();
    await page.getByTestId('shortcut-accept').click();
    await page.keyboard.press('y');
    await expect.poll(async () => (await stored()).shortcuts.accept).toBe('Y');
    await expect.poll(async () => (await stored()).selectedModel).toBe(TINY_DIR);
    expect((await stored()).modelFolders).toEqual([TINY_DIR]);
    expect((await stored()).chatDefaults.sampling?.temperature).toBe(0.7);
    const firstOrigin = app!.origin;
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    await app!.close();

    app = await open();
    expect(app.origin).not.toBe(firstOrigin);
    await row(app, 'SliME-tiny-fixture').waitFor();
    expect(await row(app, 'SliME-tiny-fixture').getByRole('radio').isChecked()).toBe(true);
    expect(await app.page.getByTestId('defaults-temperature').inputValue()).toBe('0.7');
    expect(await app.page.getByTestId('shortcut-accept').innerText()).toBe('Y');
    await app.page.getByTestId('nav-chat').click();
    expect(await app.page.getByTestId('model-picker').inputValue()).toBe(TINY_DIR);
    await app.page.getByTestId('chat-settings').click();
    expect(await app.page.getByTestId('chat-settings-temperature').inputValue()).toBe('0.7');
    expect(app.pageErrors).toEqual([]);
  });
});
