// e2e (browser mode, real services, SliME-Nano): the Mining page — ask a folder of Nano scenes and real photos,
// pause and resume the job from its card, watch it finish, read the review queue sorted by "needs local detail"
// (photos, out of distribution, at the bottom), open similar images for a row and in the example editor, and cancel
// a second job asked from a questions file (with a per-image question); run a third with signals off and fill them in
// with the signals pass; in the dataset view, pick a similar image to
// list its examples and filter on evidence coverage. Screenshots: mining.png, mining-similar.png,
// dataset-similar-filter.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startApp, type RunningApp } from './harness/startApp.ts';
import type { MiningJob } from '../../electron/shared/ipc/mining.ts';
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
    await page.getByTestId('ask-folder-mode').selectOption('legacy');
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

    // A similar image in the queue opens the dataset view on that image's examples; then back to the Mining page.
    await page.getByTestId('queue-similar').first().click();
    const queuePick = page.getByTestId('similar-images').first().getByTestId('similar-image').first();
    await queuePick.waitFor();
    const queueSha = await queuePick.getAttribute('data-sha');
    await queuePick.getByRole('button').click();
    await expect.poll(() => page.getByTestId('filter-image').getAttribute('title')).toBe(queueSha);
    await expect.poll(() => page.getByTestId('result-count').textContent()).toBe('3 results');
    await page.getByTestId('nav-mining').click();
    // The form is as it was left.
    expect([await page.getByTestId('ask-folder-path').inputValue(), await page.getByTestId('ask-folder-mode').inputValue()]).toEqual([
      folder,
      'legacy',
    ]);

    // A second job from a questions file only (shared + per-image questions, read by the app), then cancelled.
    const questionsFile = path.join(dataDir, 'questions.json');
    writeFileSync(
      questionsFile,
      JSON.stringify({ questions: ['Is there a circle?'], perImage: { 'photos/coins.png': ['How many coins?'] } }),
    );
    await page.getByTestId('ask-folder-questions').fill('');
    await page.getByTestId('ask-folder-questions-file').fill(questionsFile);
    await page.getByTestId('ask-folder-start').click();
    const second = page.locator('[data-testid=mining-job][data-job-id="2"]');
    await second.waitFor();
    await second.getByTestId('job-cancel').click();
    await expect.poll(() => second.getAttribute('data-state'), { timeout: 30_000 }).toBe('cancelled');
    const firstJob = await app.router.dispatch('mining:getMiningJob', [1]);
    expect(firstJob.ok && (firstJob.value as MiningJob).settings.selector).toEqual({ mode: 'legacy' });
    const stored = await app.router.dispatch('mining:getMiningJob', [2]);
    expect(stored.ok && (stored.value as MiningJob).settings).toMatchObject({
      questions: ['Is there a circle?'],
      perImage: { 'photos/coins.png': ['How many coins?'] },
    });

    // A third job with signals off, then the signals pass from its card fills them in.
    await page.getByTestId('ask-folder-questions-file').fill('');
    await page.getByTestId('ask-folder-questions').fill('Is there a square?');
    await page.getByLabel('Hardness signals').uncheck();
    await page.getByTestId('ask-folder-start').click();
    const third = page.locator('[data-testid=mining-job][data-job-id="3"]');
    await expect.poll(() => third.getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
    await expect.poll(() => third.getByTestId('job-signals-missing').textContent()).toBe('8 examples miss a signal');
    await third.getByTestId('job-signals').click();
    await expect.poll(() => third.getByTestId('job-signals-progress').textContent(), { timeout: 60_000 }).toContain('8 / 8 examples');
    await expect.poll(() => third.getByTestId('job-signals').count()).toBe(0);
    const sig = await app.router.dispatch('mining:getMiningJob', [3]);
    expect(sig.ok && (sig.value as MiningJob).signalsMissing).toBe(0);

    // A review-queue row opens its example in the dataset editor; similar images there filter the list to the picked
    // image's examples.
    const topRow = page.getByTestId('queue-row').first();
    const topId = await topRow.getAttribute('data-example-id');
    await topRow.getByTestId('queue-open').click();
    await expect.poll(() => page.getByTestId('example-editor').getAttribute('data-example-id')).toBe(topId);
    const picked = page.getByTestId('example-editor').getByTestId('similar-image').first();
    await picked.waitFor();
    const sha = (await picked.getAttribute('data-sha'))!;
    const ofImage = Number.parseInt((await picked.getAttribute('title'))!, 10);
    expect(ofImage).toBeGreaterThanOrEqual(3);
    const listed = await app.router.dispatch('dataset:listExamples', [{ limit: 1 }]);
    const all = `${listed.ok ? (listed.value as { total: number }).total : -1} results`;
    await expect.poll(() => page.getByTestId('result-count').textContent()).toBe(all);
    await picked.getByRole('button').click();
    await expect.poll(() => page.getByTestId('filter-image').getAttribute('title')).toBe(sha);
    await expect.poll(() => page.getByTestId('result-count').textContent()).toBe(`${ofImage} results`);
    await app.screenshot('dataset-similar-filter');
    await page.getByRole('button', { name: 'Show every image' }).click();
    await expect.poll(() => page.getByTestId('result-count').textContent()).toBe(all);

    // Evidence coverage: a region on a mined example puts it under exactly one verdict, the review queue's.
    const target = Number(topId);
    const region = await app.router.dispatch('dataset:addRegion', [target, { x1: 0, y1: 0, x2: 40, y2: 40 }]);
    expect(region.ok).toBe(true);
    const queue = await app.router.dispatch('mining:reviewQueue', [{ evidenceDropped: true }]);
    const dropped = queue.ok && (queue.value as { items: { exampleId: number }[] }).items.some((i) => i.exampleId === target);
    // The editor (open on that example) shows the coverage with the same verdict.
    expect(await page.getByTestId('example-editor').getAttribute('data-example-id')).toBe(String(target));
    await expect.poll(() => page.getByTestId('evidence-coverage').getAttribute('data-dropped'), { timeout: 10_000 }).toBe(String(dropped));
    expect(await page.getByTestId('evidence-coverage').textContent()).toMatch(/Region 1: \d+ of \d+ cells kept/);
    await page.getByTestId('filter-evidence').selectOption(dropped ? 'dropped' : 'kept');
    await expect.poll(() => page.getByTestId('result-count').textContent()).toBe('1 result');
    expect(await page.getByTestId('example-row').first().getAttribute('data-example-id')).toBe(String(target));
    await page.getByTestId('filter-evidence').selectOption(dropped ? 'kept' : 'dropped');
    await expect.poll(() => page.getByTestId('result-count').textContent()).toBe('0 results');

    // Duplicates: one image asked several different questions is listed as not duplicates, with nothing to tick.
    await page.getByTestId('filter-evidence').selectOption('');
    await page.getByTestId('open-duplicates').click();
    const dialog = page.getByTestId('duplicates-dialog');
    const sameImage = dialog.locator('[data-testid=duplicate-groups] li[data-reason=same-image]');
    await expect.poll(() => sameImage.count(), { timeout: 10_000 }).toBe(8);
    expect(await sameImage.first().getByTestId('duplicate-why').textContent()).toMatch(/different questions: not duplicates/);
    expect(await sameImage.getByRole('button', { name: /^Tick all but/ }).count()).toBe(0);
    expect(await dialog.getByTestId('duplicates-advice').textContent()).toContain('Nothing to review');
    await app.screenshot('mining-duplicates');
    expect(app.pageErrors).toEqual([]);
  });
});
