// e2e: chat defects a new user hit, each fixed — the typed question survives "attach an image first", the Export
// menu closes after a download, the save dialog starts from its default status, and saving an answer twice warns
// (the message shows a "saved" marker naming its example); Stop during "Cutting tiles…" keeps the answer, marked
// stopped, and Regenerate answers it; regenerations are versions of the answer (switch between them), and an
// identical one says that decoding is greedy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { startApp, type RunningApp } from './harness/startApp.ts';
import { NANO_DIR, callRouter, nanoSamples } from './harness/nano.ts';
import type { Example } from '../../electron/shared/ipc/dataset.ts';

const sample = nanoSamples()[0]!;
let app: RunningApp;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'slime-e2e-chatfix-'));
  app = await startApp({ dataDir, modelDir: NANO_DIR, viewport: { width: 1280, height: 800 } });
  await app.page.getByTestId('view-chat').waitFor();
});

afterAll(async () => {
  await app?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function savedId(): Promise<number> {
  await app.page.getByTestId('saved-notice').waitFor();
  const id = Number(/#(\d+)/.exec(await app.page.getByTestId('saved-notice').innerText())?.[1]);
  await app.page.getByTestId('saved-notice').getByRole('button', { name: 'Dismiss' }).click();
  return id;
}

describe('chat defects', () => {
  it('keeps the typed question when it is sent before an image is attached', async () => {
    const { page } = app;
    await page.getByTestId('chat-input').fill(sample.question);
    await page.getByTestId('chat-input').press('Enter');
    await page.getByTestId('chat-error').waitFor();
    expect(await page.getByTestId('chat-error').innerText()).toContain('Attach an image first');
    expect(await page.getByTestId('chat-input').inputValue()).toBe(sample.question);
    await page.getByTestId('attach-input').setInputFiles(sample.image);
    await page.getByTestId('attachment').waitFor();
    await page.getByTestId('chat-input').press('Enter');
    await page.getByTestId('message-assistant').waitFor({ timeout: 170_000 });
    expect(await page.getByTestId('chat-input').inputValue()).toBe('');
    expect((await page.getByTestId('answer-text').innerText()).toLowerCase()).toContain(sample.answer.toLowerCase());
  });

  it('closes the Export menu after a download', async () => {
    const { page } = app;
    await page.getByTestId('chat-export').click();
    await page.getByTestId('chat-export-md').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('chat-export-md').click()]);
    expect(download.suggestedFilename()).toMatch(/\.md$/);
    await page.getByTestId('chat-export-md').waitFor({ state: 'hidden' });
    expect(await page.getByTestId('chat-export-md').isVisible()).toBe(false);
  });

  it('starts the save dialog from its default status, warns before a duplicate and marks saved answers', async () => {
    const { page } = app;
    expect(await page.getByTestId('message-saved').count()).toBe(0);
    await page.getByTestId('message-save').click();
    await page.getByTestId('save-example-dialog').waitFor();
    expect(await page.getByTestId('save-status').inputValue()).toBe('needs-review');
    expect(await page.getByTestId('save-duplicate').count()).toBe(0);
    await page.getByTestId('save-status').selectOption('accepted');
    await page.getByTestId('save-confirm').click();
    const first = await savedId();
    expect((await callRouter<Example>(app, 'dataset:getExample', first)).status).toBe('accepted');
    await page.getByTestId('message-saved').waitFor();
    expect(await page.getByTestId('message-saved').innerText()).toContain(`#${first}`);

    await page.getByTestId('message-save').click();
    await page.getByTestId('save-example-dialog').waitFor();
    expect(await page.getByTestId('save-status').inputValue()).toBe('needs-review');
    await page.getByTestId('save-duplicate').waitFor();
    expect(await page.getByTestId('save-duplicate').innerText()).toContain(`#${first}`);
    expect(await page.getByTestId('save-confirm').innerText()).toMatch(/again/i);
    await page.getByTestId('save-confirm').click();
    const second = await savedId();
    expect(second).not.toBe(first);
    await expect.poll(() => page.getByTestId('message-saved').innerText()).toContain(`#${second}`);
    await app.screenshot('chat-saved-marker');
    expect(app.pageErrors).toEqual([]);
  });

  it('shows the saved marker after the chat is opened again', async () => {
    const { page } = app;
    await page.getByTestId('chat-new').click();
    expect(await page.getByTestId('message-saved').count()).toBe(0);
    await page.getByTestId('chat-item').first().click();
    await page.getByTestId('message-saved').waitFor();
    expect(await page.getByTestId('message-saved').innerText()).toMatch(/#\d+.*#\d+/);
  });

  it('keeps an answer stopped during "Cutting tiles…", marked stopped, and regenerates it', async () => {
    const { page } = app;
    const fresh = nanoSamples().find((x) => x.image !== sample.image)!;
    await page.getByTestId('chat-new').click();
    // Press Stop from inside the page when the engine reports the tiling stage (the answer has no token yet).
    await page.evaluate(() => {
      const w = window as unknown as {
        api: { inference: { onStage(l: (e: { stage: string }) => void): () => void } };
        __stoppedAt?: string;
      };
      const off = w.api.inference.onStage((e) => {
        if (e.stage !== 'preprocess') return;
        off();
        const press = (): void => {
          const stop = document.querySelector<HTMLButtonElement>('[data-testid="chat-stop"]');
          if (!stop) return void requestAnimationFrame(press);
          w.__stoppedAt = document.querySelector('[data-testid="answer-stage"]')?.textContent ?? '';
          stop.click();
        };
        press();
      });
    });
    // The sample scaled up 12× (same picture, same answer): cutting its tiles takes long enough (~0.5 s against ~20 ms
    // for the 112×224 original) that Stop, pressed when the stage event reaches the page, lands before the first
    // token even on a loaded machine.
    const large = path.join(dataDir, `large-${path.basename(fresh.image)}`);
    const { width, height } = await sharp(fresh.image).metadata();
    await sharp(fresh.image)
      .resize(width * 12, height * 12, { kernel: 'lanczos3' })
      .png()
      .toFile(large);
    await page.getByTestId('attach-input').setInputFiles(large);
    await page.getByTestId('attachment').waitFor();
    await page.getByTestId('chat-input').fill(fresh.question);
    await page.getByTestId('chat-input').press('Enter');
    await page.getByTestId('answer-stopped').waitFor({ timeout: 60_000 });
    expect(await page.evaluate(() => (window as unknown as { __stoppedAt?: string }).__stoppedAt)).toMatch(/tiles|image|engine/);
    expect(await page.getByTestId('answer-stopped').innerText()).toContain('after 0 tokens');
    expect(await page.getByTestId('answer-empty').innerText()).toContain('Stopped before the first token');
    expect(await page.getByTestId('message-assistant').count()).toBe(1);
    await app.screenshot('chat-stopped-while-tiling');
    await page.getByTestId('message-regenerate').click();
    await page.waitForFunction(
      () =>
        !document.querySelector('[data-testid="answer-streaming"]') &&
        !document.querySelector('[data-testid="answer-stopped"]') &&
        document.querySelectorAll('[data-testid="message-assistant"]').length === 1,
      undefined,
      { timeout: 60_000 },
    );
    expect((await page.getByTestId('answer-text').innerText()).toLowerCase()).toContain(fresh.answer.toLowerCase());
    expect(app.pageErrors).toEqual([]);
  });

  it('keeps versions of a regenerated answer, switches between them, and says an identical one is greedy', async () => {
    const { page } = app;
    const label = page.getByTestId('version-label');
    // The answer of the test before: version 1 stopped while tiling, version 2 its regeneration.
    expect(await label.innerText()).toBe('2 / 2');
    expect(await page.getByTestId('version-identical').count()).toBe(0);
    const first = (await page.getByTestId('answer-text').innerText()).trim();
    await page.getByTestId('message-regenerate').click();
    await expect.poll(() => label.innerText(), { timeout: 60_000 }).toBe('3 / 3');
    expect(await page.getByTestId('message-assistant').count()).toBe(1);
    expect((await page.getByTestId('answer-text').innerText()).trim()).toBe(first);
    expect(await page.getByTestId('version-identical').innerText()).toMatch(/Identical to version 2: decoding is greedy \(temperature 0\)/);
    await page.getByTestId('version-prev').click();
    expect(await label.innerText()).toBe('2 / 3');
    await page.getByTestId('version-prev').click();
    expect(await label.innerText()).toBe('1 / 3');
    expect(await page.getByTestId('answer-stopped').innerText()).toContain('after 0 tokens');
    expect(await page.getByTestId('version-prev').isDisabled()).toBe(true);
    await app.screenshot('chat-answer-versions');
    await page.getByTestId('version-next').click();
    await page.getByTestId('version-next').click();
    expect(await label.innerText()).toBe('3 / 3');
    expect(app.pageErrors).toEqual([]);
  });
});
