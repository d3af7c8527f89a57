// Electron smoke test (`npm run test:electron`): builds the app, starts the real Electron binary through Playwright's
// Electron support, asks SliME-Nano one question about a shipped sample and checks the answer and a screenshot, and
// fills a path field from the native folder dialog.
// Where the Electron binary is not installed (it cannot be downloaded on every machine) it skips with one line.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { REPO_ROOT } from '../../electron/node/paths.ts';

const OUTPUT_DIR = path.join(REPO_ROOT, 'test', 'e2e', 'output');
const SAMPLES = path.join(REPO_ROOT, 'models', 'nano', 'samples');

/**
 * The Electron executable, or why there is none ($SLIME_ELECTRON overrides). Reads the npm package's path.txt the way
 * its index.js does, but never triggers the download that `require('electron')` attempts when the binary is missing.
 */
function findElectron(): { binary: string } | { reason: string } {
  const override = process.env.SLIME_ELECTRON;
  if (override) return existsSync(override) ? { binary: override } : { reason: `SLIME_ELECTRON=${override} does not exist` };
  const pkg = path.join(REPO_ROOT, 'node_modules', 'electron');
  const pathFile = path.join(pkg, 'path.txt');
  const hint = 'run `node node_modules/electron/install.js` where it can be downloaded, or set SLIME_ELECTRON';
  if (!existsSync(pathFile)) return { reason: `the Electron binary is not installed (no node_modules/electron/path.txt); ${hint}` };
  const binary = path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH ?? path.join(pkg, 'dist'), readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? { binary } : { reason: `the Electron binary is missing at ${binary}; ${hint}` };
}

/** Command-line switches for containers and machines without a display. */
function launchArgs(): string[] {
  const args: string[] = [];
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) args.push('--ozone-platform=headless');
  if (process.env.CI || process.getuid?.() === 0) args.push('--no-sandbox');
  return args;
}

const found = findElectron();
const skipReason = 'reason' in found ? found.reason : null;
if (skipReason) console.warn(`[test:electron] skipped: ${skipReason}`);

describe.skipIf(skipReason !== null)(`Electron app smoke${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let app: ElectronApplication;
  let page: Page;
  let home: string;
  const sample = (
    JSON.parse(readFileSync(path.join(SAMPLES, 'samples.json'), 'utf8')) as { image: string; question: string; answer: string }[]
  )[0]!;

  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    });
    expect((await stat(path.join(REPO_ROOT, 'out', 'main', 'index.js'))).isFile()).toBe(true);
    home = await mkdtemp(path.join(os.tmpdir(), 'slime-electron-'));
    app = await _electron.launch({
      executablePath: (found as { binary: string }).binary,
      args: [...launchArgs(), `--user-data-dir=${path.join(home, 'user-data')}`, REPO_ROOT],
      cwd: REPO_ROOT,
      env: { ...process.env, XDG_CONFIG_HOME: home, ELECTRON_RENDERER_URL: '' },
      timeout: 60_000,
    });
    page = await app.firstWindow();
    await page.getByTestId('view-chat').waitFor({ timeout: 60_000 });
  }, 300_000);

  afterAll(async () => {
    await app?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('answers one question about a shipped sample with SliME-Nano', async () => {
    const security = await page.evaluate(() => ({
      api: typeof (window as unknown as { api?: unknown }).api,
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
    }));
    expect(security).toEqual({ api: 'object', require: 'undefined', process: 'undefined' });
    await page.getByTestId('attach-input').setInputFiles(path.join(SAMPLES, sample.image));
    await page.getByTestId('attachment').waitFor();
    await page.getByTestId('chat-input').fill(sample.question);
    await page.getByTestId('chat-input').press('Enter');
    await page.getByTestId('message-assistant').waitFor({ timeout: 170_000 });
    expect((await page.getByTestId('answer-text').innerText()).toLowerCase()).toContain(sample.answer.toLowerCase());
    expect(await page.getByTestId('fig-ep').innerText()).toContain('cpu');
    await mkdir(OUTPUT_DIR, { recursive: true });
    const file = path.join(OUTPUT_DIR, 'electron-chat.png');
    await page.screenshot({ path: file });
    expect((await stat(file)).size).toBeGreaterThan(10_000);
  }, 200_000);

  it("fills the model folder from Electron's native folder dialog", async () => {
    // Stand in for the OS dialog (a window Playwright cannot drive): main's Electron dialog answers a folder.
    await app.evaluate(({ dialog }, folder) => {
      dialog.showOpenDialog = (async () => ({ canceled: false, filePaths: [folder] })) as typeof dialog.showOpenDialog;
    }, SAMPLES);
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('model-folder-choose').click();
    await expect.poll(() => page.getByTestId('model-folder-input').inputValue()).toBe(SAMPLES);
  }, 60_000);
});
