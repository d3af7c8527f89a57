// e2e: main owns ask-and-persist — the page (Chromium, browser mode) asks the tiny fixture model for a long answer
// and is closed mid-stream; main finishes the answer and the database holds it, final, with its inspection record
// and provenance (model folder, manifest sha256), although no page was left to receive a token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startApp, type RunningApp } from './harness/startApp.ts';
import { NANO_DIR, TINY_DIR, callRouter, pickTinyModel } from './harness/nano.ts';
import { eventChannel } from '../../electron/shared/ipc/contract.ts';
import type { ChatEnd, ChatToken } from '../../electron/shared/ipc/chat.ts';
import type { Message } from '../../electron/shared/ipc/dataset.ts';

let app: RunningApp;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'slime-e2e-closed-'));
  app = await startApp({ dataDir, modelDir: NANO_DIR, viewport: { width: 1280, height: 800 } });
  await app.page.getByTestId('view-chat').waitFor();
});

afterAll(async () => {
  await app?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('an answer outlives its page', () => {
  it('saves the finished answer after the page was closed mid-stream', async () => {
    const { page } = app;
    await pickTinyModel(app);
    await page.getByTestId('chat-settings').click();
    await page.getByTestId('chat-settings-maxNewTokens').fill('4000');
    await page.getByTestId('chat-settings-maxNewTokens').dispatchEvent('change');
    await page.getByTestId('chat-settings-save').click();

    const tokens: { at: number; e: ChatToken }[] = [];
    const ends: { at: number; e: ChatEnd }[] = [];
    // The page is closed the moment main streams the first token (the services run in this process), not after a
    // poll: the tiny model writes its few hundred tokens in a fraction of a second.
    let closedAt = 0;
    let tokensAtClose = 0;
    let closing: Promise<void> | null = null;
    app.services.subscribe((channel, payload) => {
      if (channel === eventChannel('chat', 'token')) tokens.push({ at: performance.now(), e: payload as ChatToken });
      if (channel === eventChannel('chat', 'end')) ends.push({ at: performance.now(), e: payload as ChatEnd });
      if (tokens.length > 0 && !closing) {
        closedAt = performance.now();
        tokensAtClose = tokens.length;
        closing = page.close();
      }
    });
    await page.getByTestId('attach-input').setInputFiles(path.join(TINY_DIR, 'images', 'wide.png'));
    await page.getByTestId('attachment').waitFor();
    await page.getByTestId('chat-input').fill('Describe everything you see.');
    await page.getByTestId('chat-input').press('Enter');
    await expect.poll(() => closing, { timeout: 60_000, interval: 5 }).not.toBeNull();
    await closing;

    await expect.poll(() => ends.length, { timeout: 120_000, interval: 50 }).toBe(1);
    const end = ends[0]!;
    expect(end.e).toMatchObject({ outcome: 'done', error: null });
    // The page was gone before the answer finished: main went on streaming to nobody and saving.
    expect(end.at).toBeGreaterThan(closedAt);
    expect(tokens.length).toBeGreaterThan(tokensAtClose);

    const conversations = await callRouter<{ items: { id: number }[] }>(app, 'dataset:listConversations', {});
    const { messages } = await callRouter<{ messages: Message[] }>(app, 'dataset:getConversation', conversations.items[0]!.id);
    const answer = messages.find((m) => m.id === end.e.assistantMessageId)!;
    expect(answer.text).toBe(tokens.at(-1)!.e.answer);
    expect(answer.text.length).toBeGreaterThan(0);
    expect(answer.inspection).toMatchObject({ grid: { tiles: expect.any(Number) } });
    const manifestHash = createHash('sha256')
      .update(readFileSync(path.join(TINY_DIR, 'manifest.json')))
      .digest('hex');
    expect(answer.provenance).toMatchObject({ outcome: 'done', modelDir: TINY_DIR, manifestHash });
    expect(answer.perf).toMatchObject({ generated: tokens.at(-1)!.e.generated, stopped: false });
  }, 200_000);
});
