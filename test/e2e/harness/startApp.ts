// e2e harness (test process): browser mode — the real services (inference process forked for real) behind the
// real web server of electron/node/web (HTTP + SSE, session token), opened in Debian's Chromium via playwright-core.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createServices, type Services } from '../../../electron/node/services/createServices.ts';
import { forkSpawner } from '../../../electron/node/forkChild.ts';
import { INFERENCE_ENTRY, REPO_ROOT } from '../../../electron/node/paths.ts';
import { readAppVersion } from '../../../electron/node/appVersion.ts';
import { createRouter, type Router } from '../../../electron/shared/ipc/router.ts';
import { apiDescriptors } from '../../../electron/shared/ipc/registry.ts';
import { startWebServer } from '../../../electron/node/web/webServer.ts';

/** Chromium from Debian's `chromium` package (scripts/bootstrap.sh installs it). */
export const CHROMIUM_PATH = process.env.SLIME_CHROMIUM ?? '/usr/bin/chromium';
/** Chromium flags for every e2e browser: headless, no sandbox in containers, nothing phoning home. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where screenshots go (git-ignored). */
export const E2E_OUTPUT_DIR = path.join(REPO_ROOT, 'test', 'e2e', 'output');
const RENDERER_DIST = path.join(REPO_ROOT, 'renderer', 'dist');

/** What a test chooses about the app it starts. */
export interface StartAppOptions {
  /** The app's data directory (use a fresh temp dir per test). */
  dataDir: string;
  /** The default model folder reported by the services. */
  modelDir: string;
  colorScheme?: 'light' | 'dark';
  viewport?: { width: number; height: number };
  /** Extra environment for the inference process (e.g. SLIME_TEST_HOOKS=1). */
  inferenceEnv?: Record<string, string>;
}

/** A running app under test. */
export interface RunningApp {
  page: Page;
  /** The real services behind the web server (supervisor, image registry, event hub…). */
  services: Services;
  /** The router the web server dispatches `POST /api/<channel>` to (for test-side calls). */
  router: Router;
  /** Origin the renderer is served from, e.g. http://127.0.0.1:41234 */
  origin: string;
  /** The session token of this server (send it as `authorization: Bearer <token>` from the test process). */
  token: string;
  /** Console errors and uncaught page errors seen so far. */
  pageErrors: string[];
  /** Saves test/e2e/output/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  /** Closes the browser, the server and every service process. */
  close(): Promise<void>;
}

async function openPage(browser: Browser, options: StartAppOptions): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1200, height: 760 },
    colorScheme: options.colorScheme ?? 'light',
  });
  return { context, page: await context.newPage() };
}

/** Fails early with the fix when Debian's Chromium is missing. */
function assertChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: run \`bash scripts/bootstrap.sh\` (installs Debian's chromium) or set SLIME_CHROMIUM.`,
    );
  }
}

/** Launches Debian's Chromium with the harness flags (fails early with the fix when it is missing). */
export async function launchChromium(): Promise<Browser> {
  assertChromium();
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** Starts the app; the page is loaded and `window.api` is live when this resolves. Cleans up if a step fails. */
export async function startApp(options: StartAppOptions): Promise<RunningApp> {
  assertChromium();
  await mkdir(options.dataDir, { recursive: true });
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.splice(0).reverse()) await step().catch(() => {});
  };
  try {
    const services = await createServices({
      spawnInference: forkSpawner(INFERENCE_ENTRY, { env: options.inferenceEnv ?? {} }),
      dataDir: options.dataDir,
      defaultModelDir: options.modelDir,
      version: readAppVersion(),
      electronVersion: null,
    });
    cleanups.push(() => services.dispose());
    const router = createRouter(services.bindings);
    const server = await startWebServer({
      router,
      descriptors: apiDescriptors(),
      subscribe: services.subscribe,
      images: services.images,
      storedImage: services.storedImage,
      rendererDir: RENDERER_DIST,
      port: 0,
    });
    cleanups.push(() => server.close());
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const { page } = await openPage(browser, options);
    const pageErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(server.url);
    await page.waitForFunction(() => 'api' in window);
    return {
      page,
      services,
      router,
      origin: server.origin,
      token: server.token,
      pageErrors,
      async screenshot(name) {
        await mkdir(E2E_OUTPUT_DIR, { recursive: true });
        const file = path.join(E2E_OUTPUT_DIR, `${name}.png`);
        await page.screenshot({ path: file, fullPage: true });
        return file;
      },
      close: cleanup,
    };
  } catch (thrown) {
    await cleanup();
    throw thrown;
  }
}
