// e2e: first run — the empty chat and the model picker's "About" show the chosen model's card (card.json beside its
// manifest, models/nano/card.json from python -m models.nano.card: what it was trained on, its question families, its
// accuracy) and its sample gallery; one click on a
// sample attaches its image and asks its question, and SliME-Nano answers it. A model folder without a card says so.
// A question about a real photo gets its answer with the out-of-distribution notice (the folder's ood.json guard); a
// sample scene's answer has none.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startApp, type RunningApp } from './harness/startApp.ts';
import { NANO_DIR, nanoSamples, pickTinyModel } from './harness/nano.ts';
import { REPO_ROOT } from '../../electron/node/paths.ts';

const PHOTO = path.join(REPO_ROOT, 'test', 'fixtures', 'mining', 'photos', 'astronaut.png');

let app: RunningApp;
let dataDir: string;
const samples = nanoSamples();

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'slime-e2e-card-'));
  app = await startApp({ dataDir, modelDir: NANO_DIR, viewport: { width: 1440, height: 900 } });
  await app.page.getByTestId('view-chat').waitFor();
});

afterAll(async () => {
  await app?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('model card on first run', () => {
  it('shows the card and the sample gallery in the empty chat', async () => {
    const { page } = app;
    await page.getByTestId('model-card-name').waitFor();
    expect(await page.getByTestId('model-card-name').innerText()).toBe('SliME-Nano');
    const families = [...new Set(samples.map((s) => s.family))].length;
    expect(await page.getByTestId('model-card-families').locator('li').count()).toBe(families);
    expect(await page.getByTestId('model-card-accuracy').innerText()).toMatch(/\d+(\.\d)?%/);
    const tiles = page.getByTestId('sample-ask');
    expect(await tiles.count()).toBe(samples.length);
    await expect
      .poll(() => tiles.locator('img').evaluateAll((imgs) => imgs.filter((i) => (i as HTMLImageElement).naturalWidth > 0).length), {
        timeout: 10_000,
      })
      .toBe(samples.length);
    expect(await tiles.first().innerText()).toContain(samples[0]!.question);
    await app.screenshot('first-run-card-1440');
    await page.setViewportSize({ width: 1024, height: 700 });
    await app.screenshot('first-run-card-1024');
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it("asks a sample with one click and shows the model's answer", async () => {
    const { page } = app;
    const sample = samples[1]!;
    await page.getByTestId('sample-ask').nth(1).click();
    await page.getByTestId('message-assistant').waitFor({ timeout: 170_000 });
    await page.waitForFunction(() => !document.querySelector('[data-testid="answer-streaming"]'));
    expect(await page.getByTestId('message-user').innerText()).toContain(sample.question);
    expect(await page.getByTestId('message-image').count()).toBe(1);
    expect((await page.getByTestId('answer-text').innerText()).toLowerCase()).toContain(sample.answer.toLowerCase());
    expect(await page.getByTestId('model-card').count()).toBe(0);
    expect(await page.getByTestId('answer-ood').count()).toBe(0);
  });

  it('shows the out-of-distribution notice on an answer about a real photo', async () => {
    const { page } = app;
    await page.getByTestId('chat-new').click();
    await page.getByTestId('model-card-name').waitFor();
    await page.getByTestId('attach-input').setInputFiles(PHOTO);
    await page.getByTestId('attachment').waitFor();
    await page.getByTestId('chat-input').fill('What animal is this?');
    await page.getByTestId('chat-input').press('Enter');
    await page.getByTestId('message-assistant').waitFor({ timeout: 170_000 });
    await page.getByTestId('answer-ood').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('answer-ood').innerText()).toBe(
      'This image is unlike what SliME-Nano was trained on: the answer is likely a guess.',
    );
    await app.screenshot('chat-ood-notice-photo');
  });

  it("shows the card behind the model picker's About, and says when a model folder has none", async () => {
    const { page } = app;
    await page.getByTestId('model-card-toggle').click();
    await page.getByTestId('model-card-popover').getByTestId('model-card-name').waitFor();
    expect(await page.getByTestId('model-card-popover').getByTestId('sample-gallery').count()).toBe(0);
    await app.screenshot('model-card-popover');
    await page.getByTestId('model-card-toggle').click();
    await pickTinyModel(app);
    await page.getByTestId('chat-new').click();
    await page.getByTestId('model-card-missing').waitFor();
    expect(await page.getByTestId('model-card-missing').innerText()).toMatch(/no card\.json/);
    await page.getByTestId('model-picker').selectOption('__default');
    await page.getByTestId('model-card-name').waitFor();
    expect(app.pageErrors).toEqual([]);
  });
});
