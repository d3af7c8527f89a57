// Unit: the chat service saves the growing answer while it streams (real database worker on a temp SQLite file;
// the engine's ask is a stand-in that streams two tokens and then waits to be released).
import { describe, expect, it } from 'vitest';
import { createChatService } from '../../../electron/node/services/chatService.ts';
import { startDatasetWorker } from '../../../electron/node/datasetWorker.ts';
import type { AskResult, TokenEvent } from '../../../electron/shared/ipc/inference.ts';
import type { Message } from '../../../electron/shared/ipc/dataset.ts';
import { unwrap } from '../../../electron/shared/errors.ts';
import { makePng, tempDir } from '../../database/fixtures.ts';

describe('chat service', () => {
  it('saves the answer as it grows and the final records at the end', async () => {
    const worker = startDatasetWorker({ dataDir: tempDir('slime-chat-unit-') });
    const image = unwrap(await worker.client.call('addImage', new Uint8Array(await makePng(1)), 'a.png'));
    let release: () => void = () => {};
    const service = createChatService({
      db: worker.client,
      saveEveryMs: 30,
      defaultModelDir: '/models/none',
      emit: () => undefined,
      cancel: () => false,
      ask: async (request, onToken) => {
        for (const text of ['It ', 'is ']) onToken({ requestId: request.requestId, text, generated: 1 } as TokenEvent);
        await new Promise<void>((resolve) => (release = resolve));
        onToken({ requestId: request.requestId, text: 'red.', generated: 3 });
        const inspection = {
          timings: { total: 5 },
          tokens: { generated: 3 },
          providers: [{ graph: 'decoder', provider: 'cpu', attempts: [] }],
          selector: { mode: 'single', topP: 0.6, temperature: 1 },
          sampling: { temperature: 0 },
          stopReason: 'eos',
        };
        return {
          requestId: request.requestId,
          answer: 'It is red.',
          tokenIds: [],
          model: { dir: '/models/none', name: 'none' },
          inspection,
        } as unknown as AskResult;
      },
    });
    const started = await service.ask({ imageSha256: image.sha256, question: 'Colour?', history: [], sampling: {}, selector: {} });
    const read = async (): Promise<Message> => unwrap(await worker.client.call('getConversation', started.conversationId)).messages[1]!;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await read()).text).toBe('It is ');
    // While it runs, main lists it (a page opening the chat follows it); once ended, it is gone.
    expect(await service.running()).toEqual([started.requestId]);
    expect((await read()).provenance).toMatchObject({ requestId: started.requestId });
    expect((await read()).provenance?.['outcome']).toBeUndefined();
    release();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await service.running()).toEqual([]);
    const final = await read();
    expect(final).toMatchObject({ text: 'It is red.', perf: { totalMs: 5, generated: 3, stopped: false } });
    expect(final.provenance).toMatchObject({ model: 'none', modelDir: '/models/none', manifestHash: null, executionProvider: 'cpu' });
    await worker.stop();
  });

  it('saves the OOD guard verdict with a finished answer; a failing guard leaves it null and the answer stands', async () => {
    const worker = startDatasetWorker({ dataDir: tempDir('slime-chat-ood-unit-') });
    const image = unwrap(await worker.client.call('addImage', new Uint8Array(await makePng(2)), 'b.png'));
    const inspection = { timings: { total: 5, ttft: 1 }, tokens: { generated: 1 }, providers: [], selector: {}, sampling: {} };
    const asked: string[] = [];
    const verdicts = [{ score: 900, inDist: false, method: 'mahalanobis' as const, threshold: 570 }, null];
    const service = createChatService({
      db: worker.client,
      defaultModelDir: '/models/none',
      emit: () => undefined,
      cancel: () => false,
      guard: async (sha, dir, manifestHash) => {
        asked.push(`${sha}|${dir}|${manifestHash}`);
        const v = verdicts.shift();
        if (v === null) throw new Error('ood.json unreadable');
        return v!;
      },
      ask: async (request) =>
        ({
          requestId: request.requestId,
          answer: 'red',
          tokenIds: [],
          model: { dir: '/models/none', name: 'none' },
          inspection,
        }) as unknown as AskResult,
    });
    for (const expected of [{ score: 900, inDist: false, method: 'mahalanobis', threshold: 570 }, null]) {
      const started = await service.ask({ imageSha256: image.sha256, question: 'Colour?', history: [], sampling: {}, selector: {} });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const answer = unwrap(await worker.client.call('getConversation', started.conversationId)).messages[1]!;
      expect(answer.text).toBe('red');
      expect(answer.provenance?.['ood']).toEqual(expected);
    }
    expect(asked).toEqual([`${image.sha256}|/models/none|null`, `${image.sha256}|/models/none|null`]);
    await worker.stop();
  });

  it('stops an answer under the id the page chose before ask has replied: saved stopped, the model never asked', async () => {
    const worker = startDatasetWorker({ dataDir: tempDir('slime-chat-early-stop-') });
    const image = unwrap(await worker.client.call('addImage', new Uint8Array(await makePng(3)), 'c.png'));
    const asked: string[] = [];
    const service = createChatService({
      db: worker.client,
      defaultModelDir: '/models/none',
      emit: () => undefined,
      cancel: () => false,
      ask: async (request) => {
        asked.push(request.requestId);
        throw new Error('the model must not be asked');
      },
    });
    const requestId = 'chat-0b7c2a7e-9d1f-4c3b-8e2a-5f6d7c8b9a01';
    const request = { requestId, imageSha256: image.sha256, question: 'Colour?', history: [], sampling: {}, selector: {} };
    const pending = service.ask(request);
    expect(service.stop(requestId)).toBe(true);
    await expect(service.ask(request)).rejects.toMatchObject({ code: 'ipc/bad-args' });
    const started = await pending;
    expect(started.requestId).toBe(requestId);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const answer = unwrap(await worker.client.call('getConversation', started.conversationId)).messages[1]!;
    expect(answer.provenance).toMatchObject({ outcome: 'stopped', stopped: true, requestId });
    expect(answer.perf).toMatchObject({ generated: 0, stopped: true });
    expect(asked).toEqual([]);
    expect(service.stop(requestId)).toBe(false);
    await worker.stop();
  });
});
