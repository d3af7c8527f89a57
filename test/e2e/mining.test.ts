// e2e (browser mode, real services, SliME-Nano): the Mining page — ask a folder of Nano scenes and real photos,
// pause and resume the job from its card, watch it finish, read the review queue sorted by "needs local detail"
// (photos, out of distribution, at the bottom), open similar images for a row and in the example editor, and cancel
// a second job. Screenshots: mining.png, mining-similar.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startApp, type RunningApp } from './harness/startApp.ts';
import { REPO_ROOT } from '../../electron/node/paths.ts';

const NANO_DIR = path.join(REPO_ROOT, 'models', 'nano');
const MIXED = path.join(REPO_ROOT, 'test', 'fixtures', 'mining');

let app: RunningApp;
let dataDir: string;
let folder: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'slime-e2e-mining-'));
  folder = path.join(dataDir, 'to-ask');
  mkdirSync(path.join(folder, 'photos'), { recursive: true });
  for (const f of readdirSync(path.join(MIXED, 'scenes')).slice(0, 6)) copyFileSync(path.join(MIXED, 'scenes', f), path.join(folder, f));
  for (const f of ['astronaut.png', 'coins.png']) copyFileSync(path.join(MIXED, 'photos', f), path.join(folder, 'photos', f));
  app = await startApp({ dataDir, modelDir: NANO_DIR, viewport: { width: 1280, height: 900 } });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('mining page', () => {
  it('asks a folder with pause and resume, ranks the queue and shows similar images', async () => {
    const page = app.page;
    await page.getByTestId('nav-mining').click();
    await page.getByTestId('ask-folder-path').fill(folder);
    await page
      .getByTestId('ask-folder-questions')
      .fill('What colour is the circle?\nWhat is written on the red square?\nHow many triangles are there?');
    await page.getByTestId('ask-folder-start').click();
    const job = page.getByTestId('mining-job').first();
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 30_000 }).toBe('running');
    await job.getByTestId('job-pause').click();
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 30_000 }).toBe('paused');
    const pausedAt = Number((await job.getByTestId('job-figures').textContent())!.split('/')[0]);
    expect(pausedAt).toBeLessThan(24);
    await job.getByTestId('job-resume').click();
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 120_000 }).toBe('done');
    expect(await job.getByTestId('job-figures').textContent()).toContain('24 / 24 pairs');

    await expect.poll(() => page.getByTestId('queue-total').textContent(), { timeout: 10_000 }).toBe('24');
    const flags = await page.getByTestId('queue-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-in-dist')));
    expect(flags).toHaveLength(24);
    const firstOod = flags.indexOf('false');
    expect(firstOod).toBeGreaterThan(0);
    expect(flags.slice(firstOod).every((f) => f === 'false')).toBe(true);
    const needs = await page.getByTestId('needs').allTextContents();
    expect(needs.map(Number)).toEqual([...needs.map(Number)].sort((a, b) => b - a));
    await app.screenshot('mining');

    await page.getByTestId('queue-similar').first().click();
    const similar = page.getByTestId('similar-images').first();
    await similar.getByTestId('similar-image').first().waitFor();
    expect(await similar.getByTestId('similar-image').count()).toBe(7);
    await app.screenshot('mining-similar');

    await page.getByTestId('queue-in-dist').selectOption('no');
    await expect.poll(() => page.getByTestId('queue-total').textContent()).toBe(String(24 - firstOod));

    await page.getByTestId('ask-folder-start').click();
    const second = page.locator('[data-testid=mining-job][data-job-id="2"]');
    await second.waitFor();
    await second.getByTestId('job-cancel').click();
    await expect.poll(() => second.getAttribute('data-state'), { timeout: 30_000 }).toBe('cancelled');

    await page.getByTestId('nav-dataset').click();
    await page.getByTestId('example-row').first().locator('button.open').click();
    await page.getByTestId('example-editor').getByTestId('similar-image').first().waitFor();
    expect(app.pageErrors).toEqual([]);
  });
});
