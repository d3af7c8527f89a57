// e2e: browser mode — `electron/node/web/server.ts` as a real child process, its printed URL opened in
// Debian's Chromium: the token becomes a cookie, Settings shows app.info, calls and SSE events work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { E2E_OUTPUT_DIR, launchChromium } from './harness/startApp.ts';
import { DEFAULT_MODEL_DIR, REPO_ROOT } from '../../electron/node/paths.ts';
import { readAppVersion } from '../../electron/node/appVersion.ts';
import type { WindowApi } from '../../electron/shared/ipc/registry.ts';

const SERVER = path.join(REPO_ROOT, 'electron', 'node', 'web', 'server.ts');
const MODEL_DIR = existsSync(path.join(DEFAULT_MODEL_DIR, 'manifest.json'))
  ? DEFAULT_MODEL_DIR
  : path.join(REPO_ROOT, 'test', 'fixtures', 'slime-tiny');
const IMAGE = path.join(REPO_ROOT, 'test', 'fixtures', 'slime-tiny', 'images', 'square.png');
let dataDir: string;
let server: ChildProcess;
let output = '';
let url = '';
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

function waitForUrl(ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server printed no URL:\n${output}`)), ms);
    const check = (): void => {
      const match = /Open:\s+(\S+)[^]*Press Ctrl\+C/.exec(output);
      if (!match?.[1]) return;
      clearTimeout(timer);
      resolve(match[1]);
    };
    server.stdout?.on('data', check);
    server.on('exit', () => reject(new Error(`the server exited:\n${output}`)));
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'slime-e2e-web-'));
  server = spawn(process.execPath, [SERVER, '--port', '0', '--no-build', '--data-dir', dataDir, '--model-dir', MODEL_DIR], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  server.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  url = await waitForUrl(60_000);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  await rm(dataDir, { recursive: true, force: true });
});

describe('browser mode', () => {
  it('refuses the app without the token', async () => {
    const origin = new URL(url).origin;
    const other = await browser.newPage();
    const response = await other.goto(`${origin}/`);
    expect(response?.status()).toBe(401);
    await other.close();
  });

  it('opens the printed URL, drops the token from the address bar and shows app.info on Settings', async () => {
    await page.goto(url);
    await page.getByTestId('view-chat').waitFor();
    expect(new URL(page.url()).search).toBe('');
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('app-info').waitFor();
    expect(await page.getByTestId('info-version').textContent()).toContain(readAppVersion());
    expect(await page.getByTestId('info-data-dir').textContent()).toBe(dataDir);
    expect(await page.getByTestId('info-providers').textContent()).toContain('cpu');
    expect(await page.getByTestId('info-pid').textContent()).toMatch(/^pid \d+$/);
    await mkdir(E2E_OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(E2E_OUTPUT_DIR, 'web-mode-settings.png') });
    expect(pageErrors).toEqual([]);
  });

  it('delivers service events over SSE to onXxx listeners and carries image bytes', async () => {
    const bytes = [...(await readFile(IMAGE))];
    const seen = await page.evaluate(async (imageBytes) => {
      const api = (window as unknown as { api: WindowApi }).api;
      const events: unknown[] = [];
      const off = api.dataset.onChanged((change) => events.push(change));
      const created = await api.dataset.createConversation({ title: 'web mode' });
      const deadline = Date.now() + 5000;
      while (events.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      off();
      const image = await api.dataset.addImage(new Uint8Array(imageBytes), 'square.png');
      return { created: created.ok ? created.value.id : null, events, sha256: image.ok ? image.value.sha256 : image.error.code };
    }, bytes);
    expect(seen.created).not.toBeNull();
    expect(seen.events).toContainEqual({ entity: 'conversations', ids: [seen.created] });
    expect(seen.sha256).toBe(createHash('sha256').update(Uint8Array.from(bytes)).digest('hex'));
    expect(pageErrors).toEqual([]);
  });

  it('chats about an attached image: upload as bytes, the stored image shown from /image/<token>, a streamed answer', async () => {
    await page.getByTestId('nav-chat').click();
    await page.getByTestId('attach-input').setInputFiles(path.join(REPO_ROOT, 'test', 'fixtures', 'slime-tiny', 'images', 'wide.png'));
    await page.getByTestId('attachment').waitFor();
    await page.evaluate(() => {
      const w = window as unknown as { api: WindowApi; tokensSeen: number };
      w.tokensSeen = 0;
      w.api.inference.onToken(() => void (w.tokensSeen += 1));
    });
    await page.getByTestId('chat-input').fill('What colour is the circle?');
    await page.getByTestId('chat-input').press('Enter');
    await page.getByTestId('answer-figures').first().waitFor({ timeout: 170_000 });
    expect(await page.evaluate(() => (window as unknown as { tokensSeen: number }).tokensSeen)).toBeGreaterThan(0);
    const shown = page.getByTestId('message-image').first();
    await shown.waitFor();
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('img[data-testid="message-image"]');
      return img !== null && img.complete && img.naturalWidth > 0;
    });
    await page.screenshot({ path: path.join(E2E_OUTPUT_DIR, 'web-mode-chat.png') });
    expect(pageErrors).toEqual([]);
  });
});
