// e2e: the page (Chromium, browser mode) is reloaded while main is still answering; the reload comes back to the
// open chat (#/chat?chat=<id>) and follows the answer main is running (chat.running) — its tokens appear — and then
// shows the answer main saved. The chat's
// answer is held in the engine's queue behind long tiny-model answers until the reloaded page follows it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'slime-e2e-reload-'));
  app = await startApp({ dataDir, modelDir: NANO_DIR, viewport: { width: 1280, height: 800 } });
  await app.page.getByTestId('view-chat').waitFor();
});

afterAll(async () => {
  await app?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** Queues `count` long tiny-model answers in the engine (each until its context is full): their ids, and their settling. */
function queueBlockers(count: number): { ids: string[]; done: Promise<unknown> } {
  const ids = Array.from({ length: count }, (_, i) => `blocker-${i}`);
  const image = { path: path.join(TINY_DIR, 'images', 'wide.png') };
  const sampling = { maxNewTokens: 4000 };
  const calls = ids.map((requestId) =>
    callRouter(app, 'inference:ask', { requestId, modelDir: TINY_DIR, image, question: 'Go on.', sampling }).catch(() => null),
  );
  return { ids, done: Promise.all(calls) };
}

describe('a reloaded page follows the running answer', () => {
  it('follows the answer main is still running after the page was reloaded, until it is saved', async () => {
    const { page } = app;
    await pickTinyModel(app);
    // The chat's answer waits in the engine's queue behind these until the reloaded page follows it.
    const blockers = queueBlockers(60);
    const ends: ChatEnd[] = [];
    const last: { token: ChatToken | null } = { token: null };
    const off = app.services.subscribe((channel, payload) => {
      if (channel === eventChannel('chat', 'token')) last.token = payload as ChatToken;
      if (channel === eventChannel('chat', 'end')) ends.push(payload as ChatEnd);
    });
    await page.getByTestId('attach-input').setInputFiles(path.join(TINY_DIR, 'images', 'wide.png'));
    await page.getByTestId('attachment').waitFor();
    await page.getByTestId('chat-input').fill('Describe everything you see.');
    await page.getByTestId('chat-input').press('Enter');
    await expect.poll(() => callRouter<string[]>(app, 'chat:running'), { timeout: 60_000 }).toHaveLength(1);
    const [requestId] = await callRouter<string[]>(app, 'chat:running');

    // The open chat is in the address, so the reload comes back to it without a click.
    const conversations = await callRouter<{ items: { id: number }[] }>(app, 'dataset:listConversations', {});
    const chatId = conversations.items[0]!.id;
    await expect.poll(() => new URL(page.url()).hash).toBe(`#/chat?chat=${chatId}`);
    await page.reload();
    await page.waitForFunction(() => 'api' in window);
    await page.getByTestId('answer-streaming').waitFor();
    // Clicking the open chat in the list does not reopen it (that would stop its answer).
    await page.getByTestId('chat-item').first().click();
    // Record every token count the followed answer shows, then let the engine reach it.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      new MutationObserver(() => {
        const meta = document.querySelector('[data-testid="answer-streaming"] .meta');
        if (meta?.textContent) seen.push(meta.textContent);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    expect(ends).toEqual([]);
    for (const id of blockers.ids) await callRouter(app, 'inference:cancel', id);
    await blockers.done;

    await expect.poll(() => ends.length, { timeout: 120_000, interval: 50 }).toBe(1);
    off();
    expect(ends[0]).toMatchObject({ requestId, outcome: 'done' });
    await page.getByTestId('answer-streaming').waitFor({ state: 'detached' });
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(seen.some((t) => Number.parseInt(t, 10) > 0)).toBe(true);
    // The page shows the answer main saved: the last streamed text, final.
    const shown = Number(await page.getByTestId('message-assistant').last().getAttribute('data-message-id'));
    expect(shown).toBe(ends[0]!.assistantMessageId);
    const { messages } = await callRouter<{ messages: Message[] }>(app, 'dataset:getConversation', chatId);
    expect(messages.find((m) => m.id === shown)).toMatchObject({ text: last.token!.answer, provenance: { requestId, outcome: 'done' } });
    await app.screenshot('chat-followed-after-reload');
  }, 200_000);

  it('marks an answer cut off when main closed while it answered, and regenerates it', async () => {
    const { page } = app;
    // What a crash mid-answer leaves: the growing answer saved with its request id and no outcome.
    const conversation = await callRouter<{ id: number }>(app, 'dataset:createConversation', { title: 'Cut off' });
    const image = await callRouter<{ sha256: string }>(app, 'dataset:addImageFile', path.join(TINY_DIR, 'images', 'wide.png'));
    await callRouter(app, 'dataset:appendMessage', conversation.id, {
      role: 'user',
      text: 'Describe everything you see.',
      images: [image.sha256],
    });
    const partial = { role: 'assistant', text: 'The picture', provenance: { requestId: 'chat-before-the-crash', modelDir: TINY_DIR } };
    const cut = await callRouter<{ id: number }>(app, 'dataset:appendMessage', conversation.id, partial);
    await page.evaluate((id) => (location.hash = `#/chat?chat=${id}`), conversation.id);
    await page.reload();
    await page.getByTestId('answer-cut-off').waitFor();
    expect(await page.getByTestId('answer-streaming').count()).toBe(0);
    expect(await page.getByTestId('answer-text').innerText()).toContain('The picture');
    await page.getByTestId('message-regenerate').click();
    await page.waitForFunction(
      () => !document.querySelector('[data-testid="answer-streaming"]') && !document.querySelector('[data-testid="answer-cut-off"]'),
      undefined,
      {
        timeout: 120_000,
      },
    );
    const { messages } = await callRouter<{ messages: Message[] }>(app, 'dataset:getConversation', conversation.id);
    expect(messages.at(-1)!.provenance).toMatchObject({ replaces: cut.id, outcome: 'done' });
    expect(app.pageErrors).toEqual([]);
  }, 200_000);
});
