// Integration: main owns ask-and-persist — real services (forked inference process, database worker, tiny model):
// the subscriber (the page) goes away mid-stream, and the finished answer, its inspection record and provenance
// with the model folder and the manifest's sha256 are in the database anyway; an example saved from it keeps them.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Services } from '../../electron/node/services/createServices.ts';
import { startServices } from './fixtures/services.ts';
import { createRouter } from '../../electron/shared/ipc/router.ts';
import { eventChannel } from '../../electron/shared/ipc/contract.ts';
import type { ChatEnd, ChatStarted, ChatToken } from '../../electron/shared/ipc/chat.ts';
import type { Example, ImageRecord, Message } from '../../electron/shared/ipc/dataset.ts';
import type { Result } from '../../electron/shared/errors.ts';
import { tempDir } from '../database/fixtures.ts';

const MODEL = path.resolve(import.meta.dirname, '../fixtures/slime-tiny');
const IMAGE = path.join(MODEL, 'images', 'wide.png');
let services: Services | undefined;
afterAll(async () => services?.dispose());

function value<T>(r: Result<unknown>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value as T;
}

describe('chat service', () => {
  it('saves the finished answer with inspection and manifest sha256 after the page went away mid-stream', async () => {
    const running = await startServices(tempDir('slime-chat-'), MODEL);
    services = running.services;
    const router = running.router;
    const image = value<ImageRecord>(await router.dispatch('dataset:addImageFile', [IMAGE]));
    const ends: ChatEnd[] = [];
    services.subscribe((channel, payload) => channel === eventChannel('chat', 'end') && ends.push(payload as ChatEnd));
    let pageTokens = 0;
    const unsubscribePage = services.subscribe((channel) => {
      if (channel !== eventChannel('chat', 'token')) return;
      pageTokens += 1;
      unsubscribePage();
    });
    const started = value<ChatStarted>(
      await router.dispatch('chat:ask', [
        { imageSha256: image.sha256, question: 'What color is the small square?', sampling: { maxNewTokens: 12, temperature: 0 } },
      ]),
    );
    while (ends.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pageTokens).toBe(1);
    expect(ends[0]).toMatchObject({ requestId: started.requestId, outcome: 'done', error: null });

    const { messages } = value<{ messages: Message[] }>(await router.dispatch('dataset:getConversation', [started.conversationId]));
    const [question, answer] = messages;
    expect(question).toMatchObject({ id: started.userMessageId, role: 'user', images: [image.sha256] });
    expect(answer!.id).toBe(started.assistantMessageId);
    expect(answer!.text.length).toBeGreaterThan(0);
    expect(answer!.inspection).toMatchObject({ grid: { tiles: expect.any(Number) }, selector: { kept: expect.any(Array) } });
    const manifestHash = createHash('sha256')
      .update(fs.readFileSync(path.join(MODEL, 'manifest.json')))
      .digest('hex');
    expect(answer!.provenance).toMatchObject({ modelDir: MODEL, manifestHash, executionProvider: 'cpu' });
    expect(answer!.provenance?.['ood']).toBeNull(); // the tiny fixture has no ood.json: no verdict, no notice

    const example = value<Example>(await router.dispatch('dataset:saveExampleFromMessage', [{ messageId: answer!.id }]));
    expect(example.provenance).toMatchObject({ manifestHash, modelDir: MODEL });
    expect(example.turns[0]).toEqual({ question: 'What color is the small square?', answer: answer!.text });
  });

  it('keeps a stopped answer with what it had, marked stopped', async () => {
    const router = createRouter(services!.bindings);
    const image = value<ImageRecord>(await router.dispatch('dataset:addImageFile', [IMAGE]));
    const ends: ChatEnd[] = [];
    const tokens: ChatToken[] = [];
    services!.subscribe((channel, payload) => {
      if (channel === eventChannel('chat', 'end')) ends.push(payload as ChatEnd);
      if (channel === eventChannel('chat', 'token')) tokens.push(payload as ChatToken);
    });
    const started = value<ChatStarted>(
      await router.dispatch('chat:ask', [
        { imageSha256: image.sha256, question: 'Describe it.', sampling: { maxNewTokens: 400, temperature: 1, seed: 1 } },
      ]),
    );
    while (tokens.length < 2) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(value<boolean>(await router.dispatch('chat:stop', [started.requestId]))).toBe(true);
    while (ends.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ends[0]).toMatchObject({ outcome: 'stopped', error: null });
    const { messages } = value<{ messages: Message[] }>(await router.dispatch('dataset:getConversation', [started.conversationId]));
    const saved = messages.find((m) => m.id === started.assistantMessageId)!;
    expect(saved.text.length).toBeGreaterThan(0);
    expect(saved.text.startsWith(tokens[0]!.text)).toBe(true);
    expect(saved.provenance).toMatchObject({ outcome: 'stopped', modelDir: MODEL });
  });

  it('answers a saved question again (a new version of its answer) and saves an edited question that replaces it', async () => {
    const router = createRouter(services!.bindings);
    const image = value<ImageRecord>(await router.dispatch('dataset:addImageFile', [IMAGE]));
    const ends: ChatEnd[] = [];
    services!.subscribe((channel, payload) => channel === eventChannel('chat', 'end') && ends.push(payload as ChatEnd));
    const ask = async (request: Record<string, unknown>): Promise<ChatStarted> => {
      const before = ends.length;
      const started = value<ChatStarted>(await router.dispatch('chat:ask', [{ imageSha256: image.sha256, ...request }]));
      while (ends.length === before) await new Promise((resolve) => setTimeout(resolve, 20));
      return started;
    };
    const sampling = { maxNewTokens: 6, temperature: 0 };
    const first = await ask({ question: 'What is there?', sampling, systemPrompt: 'Be brief.' });
    const again = await ask({
      question: 'What is there?',
      conversationId: first.conversationId,
      userMessageId: first.userMessageId,
      replaces: first.assistantMessageId,
      sampling,
    });
    expect(again.userMessageId).toBe(first.userMessageId);
    const edited = await ask({
      question: 'What else?',
      conversationId: first.conversationId,
      replaces: first.userMessageId,
      attachImage: false,
      sampling,
    });
    const { messages } = value<{ messages: Message[] }>(await router.dispatch('dataset:getConversation', [first.conversationId]));
    expect(messages.map((m) => [m.id, m.role])).toEqual([
      [first.userMessageId, 'user'],
      [first.assistantMessageId, 'assistant'],
      [again.assistantMessageId, 'assistant'],
      [edited.userMessageId, 'user'],
      [edited.assistantMessageId, 'assistant'],
    ]);
    const byId = new Map(messages.map((m) => [m.id, m]));
    expect(byId.get(first.assistantMessageId)!.provenance).toMatchObject({ generation: { systemPrompt: 'Be brief.', temperature: 0 } });
    expect(byId.get(first.assistantMessageId)!.perf).toMatchObject({
      generated: expect.any(Number),
      stopped: false,
      ttftMs: expect.any(Number),
    });
    expect(byId.get(again.assistantMessageId)!.provenance).toMatchObject({ replaces: first.assistantMessageId, outcome: 'done' });
    expect(byId.get(again.assistantMessageId)!.text).toBe(byId.get(first.assistantMessageId)!.text);
    expect(byId.get(edited.userMessageId)).toMatchObject({ text: 'What else?', images: [], provenance: { replaces: first.userMessageId } });
    expect(byId.get(edited.assistantMessageId)!.provenance).not.toHaveProperty('replaces');
  });
});
