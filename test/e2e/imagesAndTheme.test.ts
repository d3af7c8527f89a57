// e2e: registered images display through /image/<token> under the CSP; the theme follows the OS (dark here).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { startApp, type RunningApp } from './harness/startApp.ts';
import { DEFAULT_MODEL_DIR } from '../../electron/node/paths.ts';

let app: RunningApp;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'slime-e2e-img-'));
  app = await startApp({ dataDir, modelDir: DEFAULT_MODEL_DIR, colorScheme: 'dark' });
});

afterAll(async () => {
  await app?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** Loads `src` in an <img> inside the page and reports its natural size (0×0 when blocked or missing). */
async function loadImage(src: string): Promise<{ width: number; height: number }> {
  return app.page.evaluate(
    (url) =>
      new Promise<{ width: number; height: number }>((resolve) => {
        const img = new Image();
        img.onload = () => resolve({ width: img.naturalWidth, height: img.naturalHeight });
        img.onerror = () => resolve({ width: 0, height: 0 });
        img.src = url;
      }),
    src,
  );
}

describe('images and theme', () => {
  it('displays a registered image and nothing else', async () => {
    const file = path.join(dataDir, 'red.png');
    await sharp({ create: { width: 37, height: 21, channels: 3, background: { r: 255, g: 0, b: 0 } } })
      .png()
      .toFile(file);
    const url = app.services.images.urlFor(file);
    expect(await loadImage(url)).toEqual({ width: 37, height: 21 });
    expect(await loadImage('/image/not-a-registered-token')).toEqual({ width: 0, height: 0 });
    const signedIn = { headers: { authorization: `Bearer ${app.token}` } };
    const traversal = await fetch(`${app.origin}/image/..%2F..%2Fpackage.json`, signedIn);
    expect(traversal.status).toBe(404);
    // Browser mode answers a path outside the renderer's folder with 404 (the old test server said 403).
    const outside = await fetch(`${app.origin}/..%2F..%2Fpackage.json`, signedIn);
    expect(outside.status).toBe(404);
    expect(await outside.text()).not.toContain('slime-studio');
    expect((await fetch(`${app.origin}${url}`)).status).toBe(401);
  });

  it('uses the dark palette when the OS prefers dark', async () => {
    const bg = await app.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe('rgb(17, 17, 19)');
    await app.page.getByTestId('nav-settings').click();
    await app.page.getByTestId('app-info').waitFor();
    await app.screenshot('shell-dark');
  });
});
