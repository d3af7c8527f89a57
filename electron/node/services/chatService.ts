// Implements the `chat` contract in Node (Electron main, browser mode, tests): runs ask-and-persist — saves the
// question, then the growing answer at least every second and at the end with its inspection record, perf figures
// and provenance (model folder, manifest sha256). It never depends on a page being there to receive the events.
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { EventSink, ServiceImpl } from '../../shared/ipc/contract.ts';
import type { ChatContract, ChatEnd, ParsedChatAsk } from '../../shared/ipc/chat.ts';
import type { AskResult, ParsedAskRequest, TokenEvent } from '../../shared/ipc/inference.ts';
import type { MessagePatch } from '../../shared/ipc/dataset.ts';
import { toAppError, unwrap } from '../../shared/errors.ts';
import type { DatabaseClient } from '../../../database/client.ts';

/** What the chat service needs from its host. */
export interface ChatServiceDeps {
  db: DatabaseClient;
  /** Runs one answer (the inference service's ask: resolves the image hash, streams tokens to `onToken`). */
  ask(request: ParsedAskRequest, onToken: (token: TokenEvent) => void): Promise<AskResult>;
  /** Cancels a running answer by request id. */
  cancel(requestId: string): boolean;
  emit: EventSink<ChatContract>;
  defaultModelDir: string;
  /** How often the growing answer is saved (ms, default 1000). */
  saveEveryMs?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** sha256 of a model folder's manifest.json (the exact model that produced an answer), or null when unreadable. */
export async function manifestSha256(modelDir: string): Promise<string | null> {
  const bytes = await readFile(path.join(modelDir, 'manifest.json')).catch(() => null);
  return bytes ? createHash('sha256').update(bytes).digest('hex') : null;
}

/** The records saved with a finished answer. */
export function finalPatch(result: AskResult, base: Record<string, unknown>): MessagePatch {
  const i = result.inspection;
  return {
    text: result.answer,
    inspection: i,
    perf: { ...i.timings, generatedTokens: i.tokens.generated },
    provenance: {
      ...base,
      model: result.model.name,
      modelDir: result.model.dir,
      executionProvider: i.providers[0]?.provider ?? null,
      selector: { mode: i.selector.mode, topP: i.selector.topP, temperature: i.selector.temperature },
      generation: { ...i.sampling, stopReason: i.stopReason },
    },
  };
}

/** Builds the `chat` service. */
export function createChatService(deps: ChatServiceDeps): ServiceImpl<ChatContract> {
  const saveEveryMs = deps.saveEveryMs ?? 1000;
  const stopped = new Set<string>();

  async function run(requestId: string, messageId: number, request: ParsedChatAsk, base: Record<string, unknown>): Promise<void> {
    let answer = '';
    let saved = '';
    const save = async (): Promise<void> => {
      if (answer === saved) return;
      saved = answer;
      unwrap(await deps.db.call('updateMessage', messageId, { text: answer }));
    };
    const timer = setInterval(
      () => void save().catch((e: unknown) => deps.log?.('warn', `chat: saving the answer failed: ${String(e)}`)),
      saveEveryMs,
    );
    const { conversationId: _c, imageSha256, ...rest } = request;
    let end: ChatEnd = { requestId, assistantMessageId: messageId, outcome: 'done', error: null };
    try {
      const onToken = (t: TokenEvent): void => {
        answer += t.text;
        deps.emit('token', { requestId, assistantMessageId: messageId, text: t.text, answer });
      };
      const result = await deps.ask({ ...rest, requestId, image: { hash: imageSha256 } }, onToken);
      clearInterval(timer);
      unwrap(await deps.db.call('updateMessage', messageId, finalPatch(result, base)));
    } catch (thrown) {
      clearInterval(timer);
      const error = toAppError(thrown);
      const outcome = stopped.has(requestId) || error.code === 'inference/cancelled' ? 'stopped' : 'failed';
      end = { ...end, outcome, error: outcome === 'failed' ? error : null };
      const provenance = { ...base, outcome, ...(outcome === 'failed' ? { error } : {}) };
      await deps.db.call('updateMessage', messageId, { text: answer, provenance });
    } finally {
      stopped.delete(requestId);
      deps.emit('end', end);
    }
  }

  return {
    ask: async (request) => {
      const requestId = `chat-${randomUUID()}`;
      const conversationId =
        request.conversationId ?? unwrap(await deps.db.call('createConversation', { title: request.question.slice(0, 80) })).id;
      const user = unwrap(
        await deps.db.call('appendMessage', conversationId, { role: 'user', text: request.question, images: [request.imageSha256] }),
      );
      const modelDir = path.resolve(request.modelDir ?? deps.defaultModelDir);
      const base = { modelDir, manifestHash: await manifestSha256(modelDir), requestId };
      const assistant = unwrap(await deps.db.call('appendMessage', conversationId, { role: 'assistant', text: '', provenance: base }));
      void run(requestId, assistant.id, { ...request, modelDir }, base);
      return { requestId, conversationId, userMessageId: user.id, assistantMessageId: assistant.id };
    },
    stop: (requestId) => {
      const found = deps.cancel(requestId);
      if (found) stopped.add(requestId);
      return found;
    },
  };
}
