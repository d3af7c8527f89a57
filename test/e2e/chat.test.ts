// e2e: the chat in Chromium against the real services — attach an image (file picker), ask and get the expected
// answer with figures, chat list (rename, search, delete), stop mid-stream, regenerate, edit and resend, save as
// example with an edited answer, and a bad image (a text file named .png) showing a clear error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startApp, type RunningApp } from './harness/startApp.ts';
import { NANO_DIR, callRouter, nanoSamples, type NanoSample, pickTinyModel } from './harness/nano.ts';
import type { Example } from '../../electron/shared/ipc/dataset.ts';

function firstSample(): NanoSample {
  const samples = nanoSamples();
  return samples.find((x) => Array.isArray(x.box) && x.box.length === 4) ?? samples[0]!;
}

let app: RunningApp;
let dataDir: string;
const sample = firstSample();

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'slime-e2e-chat-'));
  app = await startApp({ dataDir, modelDir: NANO_DIR, viewport: { width: 1280, height: 800 } });
  await app.page.getByTestId('view-chat').waitFor();
});

afterAll(async () => {
  await app?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function call<T>(channel: string, ...args: unknown[]): Promise<T> {
  return callRouter<T>(app, channel, ...args);
}

async function lastAnswer(): Promise<string> {
  return (await app.page.getByTestId('answer-text').last().innerText()).trim();
}

async function ask(question: string): Promise<void> {
  const { page } = app;
  const before = await page.getByTestId('message-assistant').count();
  await page.getByTestId('chat-input').fill(question);
  await page.getByTestId('chat-input').press('Enter');
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="message-assistant"]').length > n, before, {
    timeout: 170_000,
  });
}

describe('chat', () => {
  it('asks about an attached image and shows the answer with its figures', async () => {
    const { page } = app;
    await page.getByTestId('attach-input').setInputFiles(sample.image);
    await page.getByTestId('attachment').waitFor();
    await ask(sample.question);
    const answer = await lastAnswer();
    expect(answer.length).toBeGreaterThan(0);
    expect(answer.toLowerCase()).toContain(sample.answer.toLowerCase());
    expect(await page.getByTestId('message-image').count()).toBe(1);
    expect(await page.getByTestId('fig-local').last().innerText()).toMatch(/^\d+ \/ \d+$/);
    expect(await page.getByTestId('fig-grid').last().innerText()).toMatch(/^\d+×\d+ @ \d+px$/);
    expect(await page.getByTestId('fig-ep').last().innerText()).toContain('cpu');
    expect(await page.getByTestId('fig-ttft').last().innerText()).toMatch(/\d/);
    await page.getByTestId('chat-item').first().waitFor();
    expect(await page.getByTestId('chat-title').innerText()).toBe(sample.question.slice(0, 60));
  });

  it('keeps the image across turns, regenerates, and edits a question', async () => {
    const { page } = app;
    await ask('Describe the image.');
    const paths = await page.getByTestId('message-assistant').count();
    expect(paths).toBe(2);
    await page.getByTestId('message-regenerate').last().click();
    await page
      .getByTestId('answer-streaming')
      .waitFor({ state: 'detached', timeout: 170_000 })
      .catch(() => undefined);
    await page.waitForFunction(() => document.body.innerText.includes('regenerated'), undefined, { timeout: 170_000 });
    expect(await page.getByTestId('message-assistant').count()).toBe(2);
    await page.getByTestId('message-edit').first().click();
    await page.getByTestId('edit-input').fill(sample.question);
    await page.getByTestId('edit-send').click();
    await page.waitForFunction(
      () =>
        document.querySelectorAll('[data-testid="message-assistant"]').length === 1 &&
        !document.querySelector('[data-testid="answer-streaming"]'),
      undefined,
      { timeout: 170_000 },
    );
    expect(await page.getByTestId('message-user').count()).toBe(1);
    expect(await page.getByText('edited', { exact: true }).count()).toBe(1);
    expect((await lastAnswer()).toLowerCase()).toContain(sample.answer.toLowerCase());
  });

  it('stops a generation mid-stream and keeps the partial answer', async () => {
    const { page } = app;
    // SliME-Nano answers in one token and stops (about 10 ms): there is no stream to interrupt. The tiny random
    // fixture (a real exported SliME graph set) talks until its context is full, so this test adds it as a user
    // model folder in Settings, picks it in the chat's model picker, stops it, and switches back.
    await pickTinyModel(app);
    await page.getByTestId('chat-settings').click();
    await page.getByTestId('chat-settings-maxNewTokens').fill('4000');
    await page.getByTestId('chat-settings-maxNewTokens').dispatchEvent('change');
    await page.getByTestId('chat-settings-temperature').fill('5');
    await page.getByTestId('chat-settings-temperature').dispatchEvent('change');
    await page.getByTestId('chat-settings-save').click();
    // Press Stop from inside the page on the first token event that makes the streamed text visible (a sampled
    // token can decode to whitespace or Markdown syntax only), so even a fast model is caught mid-stream with some
    // text to keep.
    await page.evaluate(() => {
      const w = window as unknown as {
        api: { inference: { onToken(l: (e: { requestId: string; text: string }) => void): () => void } };
        __firstToken?: string;
        __streamed?: string;
      };
      const off = w.api.inference.onToken((e) => {
        if (w.__firstToken) return;
        w.__streamed = (w.__streamed ?? '') + e.text;
        // Markdown syntax alone (a leading ">" is an empty blockquote) shows nothing: wait for a letter or digit.
        if (!/[\p{L}\p{N}]/u.test(w.__streamed)) return;
        w.__firstToken = e.requestId;
        off();
        // The token event can arrive before the view has rendered its Stop button: retry on the next frames.
        const press = (): void => {
          const stop = document.querySelector<HTMLButtonElement>('[data-testid="chat-stop"]');
          if (stop) stop.click();
          else requestAnimationFrame(press);
        };
        press();
      });
    });
    await page.getByTestId('chat-input').fill('Describe every object in detail.');
    await page.getByTestId('chat-send').click();
    await page.waitForFunction(() => (window as unknown as { __firstToken?: string }).__firstToken, undefined, { timeout: 170_000 });
    await page.getByTestId('chat-send').waitFor({ timeout: 30_000 });
    await page.getByTestId('answer-stopped').waitFor({ timeout: 30_000 });
    const stopped = await page.getByTestId('answer-stopped').innerText();
    const generated = Number(/after (\d+) tokens/.exec(stopped)?.[1]);
    expect(generated).toBeGreaterThan(0);
    expect(generated).toBeLessThan(4000);
    expect((await page.getByTestId('answer-text').last().innerText()).length).toBeGreaterThan(0);
    await page.getByTestId('chat-settings').click();
    await page.getByTestId('chat-settings-temperature').fill('0');
    await page.getByTestId('chat-settings-temperature').dispatchEvent('change');
    await page.getByTestId('chat-settings-save').click();
    await page.getByTestId('model-picker').selectOption('__default');
  });

  it('saves an answer as an example with an edited answer', async () => {
    const { page } = app;
    await page.getByTestId('message-save').first().click();
    await page.getByTestId('save-example-dialog').waitFor();
    await page.getByTestId('save-answer').fill('A hand-corrected answer.');
    await page.getByTestId('save-tags').fill('e2e, chat');
    await page.getByTestId('save-confirm').click();
    await page.getByTestId('saved-notice').waitFor();
    const id = Number(/#(\d+)/.exec(await page.getByTestId('saved-notice').innerText())?.[1]);
    const example = await call<Example>('dataset:getExample', id);
    expect(example.turns[0]).toEqual({ question: sample.question, answer: 'A hand-corrected answer.' });
    expect(example.answerSource).toBe('human-edited');
    expect([...example.tags].sort()).toEqual(['chat', 'e2e']);
    expect(example.image?.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Main saved the answer with the exact model: the manifest's sha256 travels into the example.
    const manifestHash = createHash('sha256')
      .update(readFileSync(path.join(NANO_DIR, 'manifest.json')))
      .digest('hex');
    expect(example.provenance).toMatchObject({ manifestHash, modelDir: NANO_DIR });
    await app.screenshot('chat');
    await page.emulateMedia({ colorScheme: 'dark' });
    await app.screenshot('chat-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('exports the chat as Markdown and JSON', async () => {
    const { page } = app;
    await page.getByTestId('chat-export').click();
    const [md] = await Promise.all([page.waitForEvent('download'), page.getByTestId('chat-export-md').click()]);
    const text = readFileSync(await md.path(), 'utf8');
    expect(md.suggestedFilename()).toMatch(/\.md$/);
    expect(text).toContain(`**You (image `);
    expect(text).toContain(sample.question);
    expect(text).toMatch(/local kept; grid \d+×\d+/);
    // The menu closes after a download (chatDefects.test.ts); open it again for the JSON.
    await page.getByTestId('chat-export').click();
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByTestId('chat-export-json').click()]);
    const parsed = JSON.parse(readFileSync(await json.path(), 'utf8')) as { messages: { role: string; text: string }[] };
    expect(parsed.messages[0]).toMatchObject({ role: 'user', text: sample.question });
  });

  it('shows a clear error for a file that is not an image', async () => {
    const { page } = app;
    const bad = path.join(dataDir, 'notes.png');
    await writeFile(bad, 'this is plain text, not a PNG\n');
    await page.getByTestId('attach-input').setInputFiles(bad);
    const error = page.getByTestId('chat-error');
    await error.waitFor();
    expect(await error.getAttribute('data-code')).toMatch(/^image\/(unsupported|corrupt)$/);
    expect(await error.innerText()).toContain('notes.png');
    expect(await page.getByTestId('attachment').count()).toBe(0);
  });

  it('attaches images by drag and drop and by paste', async () => {
    const { page } = app;
    await page.getByTestId('chat-new').click();
    const b64 = readFileSync(sample.image).toString('base64');
    const name = path.basename(sample.image);
    await page.evaluate(
      ([data, fileName]) => {
        const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], fileName, { type: 'image/png' }));
        const target = document.querySelector('[data-testid="chat-thread"]')!;
        target.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: transfer }));
        target.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: transfer }));
      },
      [b64, name] as const,
    );
    await page.getByTestId('attachment').waitFor();
    expect(await page.getByTestId('attachment').innerText()).toContain(name);
    await page.getByRole('button', { name: 'Remove attached image' }).click();
    expect(await page.getByTestId('attachment').count()).toBe(0);
    await page.evaluate((data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'pasted.png', { type: 'image/png' }));
      document
        .querySelector('[data-testid="chat-input"]')!
        .dispatchEvent(new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: transfer }));
    }, b64);
    // The store is content-addressed: the same bytes keep the name they were first added with.
    await page.getByTestId('attachment').waitFor();
    expect(await page.getByTestId('attachment').innerText()).toContain(name);
  });

  it('lists models in Settings and shows why a folder is not a model', async () => {
    const { page } = app;
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('model-row').first().waitFor();
    expect(await page.getByTestId('model-list').innerText()).toContain('SliME-Nano');
    await page.getByTestId('model-folder-input').fill(dataDir);
    await page.getByTestId('model-folder-add').click();
    const error = page.getByTestId('model-error');
    await error.waitFor();
    expect(await error.innerText()).toMatch(/inference\/model-(missing|invalid)/);
    await app.screenshot('settings-models');
    await page.getByTestId('nav-chat').click();
    await page.getByTestId('view-chat').waitFor();
  });

  it('renames, searches and deletes chats', async () => {
    const { page } = app;
    await page.getByTestId('chat-rename').first().click();
    await page.getByTestId('chat-rename-input').fill('Renamed in e2e');
    await page.getByTestId('chat-rename-input').press('Enter');
    await page.getByText('Renamed in e2e').waitFor();
    await page.getByTestId('chat-search').fill('no such chat xyz');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="chat-item"]').length === 0);
    await page.getByTestId('chat-search').fill('Renamed');
    await page.getByTestId('chat-item').first().waitFor();
    await page.getByTestId('chat-delete').first().click();
    await page.getByTestId('chat-delete-confirm').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="chat-item"]').length === 0);
    expect(await page.getByTestId('chat-title').innerText()).toBe('New chat');
    expect(app.pageErrors).toEqual([]);
  });
});
