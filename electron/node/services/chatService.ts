// Implements the `chat` contract in Node (Electron main, browser mode, tests): runs ask-and-persist — saves the
// question (new, edited: `replaces`; or answers a saved one again: `userMessageId`), then the growing answer at least
// every second and at the end with its inspection record, perf figures (the page's AnswerPerf shape) and provenance
// (model folder, manifest sha256, sampling with the system prompt; `replaces` for a regeneration). A stopped or failed
// answer keeps its text, marked by `provenance.outcome`. A finished answer also carries `provenance.ood`, the model
// folder's OOD guard verdict on its image (answerGuard.ts; null without a guard). It never depends on a page being there
// to receive events.
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { EventSink, ServiceImpl } from '../../shared/ipc/contract.ts';
import type { ChatContract, ChatEnd, ChatStarted, ParsedChatAsk } from '../../shared/ipc/chat.ts';
import type { AskResult, ParsedAskRequest, TokenEvent } from '../../shared/ipc/inference.ts';
import type { MessagePatch } from '../../shared/ipc/dataset.ts';
import { AppFailure, toAppError, unwrap } from '../../shared/errors.ts';
import type { DatabaseClient } from '../../../database/client.ts';
import type { AnswerGuard, AnswerOod } from './answerGuard.ts';

/** What the chat service needs from its host. */
export interface ChatServiceDeps {
  db: DatabaseClient;
  /** Runs one answer (the inference service's ask: resolves the image hash, streams tokens to `onToken`). */
  ask(request: ParsedAskRequest, onToken: (token: TokenEvent) => void): Promise<AskResult>;
  /** Cancels a running answer by request id. */
  cancel(requestId: string): boolean;
  emit: EventSink<ChatContract>;
  defaultModelDir: string;
  /** The OOD verdict on an answer's image (saved as `provenance.ood`); none: no verdict is saved. */
  guard?: AnswerGuard;
  /** How often the growing answer is saved (ms, default 1000). */
  saveEveryMs?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** sha256 of a model folder's manifest.json (the exact model that produced an answer), or null when unreadable. */
export async function manifestSha256(modelDir: string): Promise<string | null> {
  const bytes = await readFile(path.join(modelDir, 'manifest.json')).catch(() => null);
  return bytes ? createHash('sha256').update(bytes).digest('hex') : null;
}

/** The answer's figures as the page shows them (`perf`): null where a stopped answer has none. */
function perfOf(result: AskResult): Record<string, unknown> {
  const t = result.inspection.timings;
  const generated = result.inspection.tokens.generated;
  const decodeMs = t.total - t.ttft;
  const tokensPerSecond = generated > 1 && decodeMs > 0 ? (generated - 1) / (decodeMs / 1000) : null;
  return { ttftMs: t.ttft, tokensPerSecond, totalMs: t.total, generated, stopped: false };
}

/** The records saved with a finished answer. */
export function finalPatch(result: AskResult, base: Record<string, unknown>, systemPrompt: string | null = null): MessagePatch {
  const i = result.inspection;
  return {
    text: result.answer,
    inspection: i,
    perf: perfOf(result),
    provenance: {
      ...base,
      outcome: 'done',
      model: result.model.name,
      modelDir: result.model.dir,
      executionProvider: i.providers[0]?.provider ?? null,
      selector: { mode: i.selector.mode, topP: i.selector.topP, temperature: i.selector.temperature },
      generation: { ...i.sampling, systemPrompt, stopReason: i.stopReason },
    },
  };
}

/** The guard's verdict, or null when there is no guard or it failed (logged: the answer itself stands). */
async function verdict(
  deps: ChatServiceDeps,
  imageSha256: string,
  modelDir: string | undefined,
  manifestHash: unknown,
): Promise<AnswerOod | null> {
  if (!deps.guard || !modelDir) return null;
  return deps.guard(imageSha256, modelDir, typeof manifestHash === 'string' ? manifestHash : null).catch((e: unknown) => {
    deps.log?.('warn', `chat: the OOD guard failed on ${imageSha256.slice(0, 12)}: ${String(e)}`);
    return null;
  });
}

/** What a stopped or failed answer keeps: the text so far, its token count, the outcome (and the error). */
function endPatch(answer: string, generated: number, base: Record<string, unknown>, end: ChatEnd): MessagePatch {
  const stopped = end.outcome === 'stopped';
  return {
    text: answer,
    perf: { ttftMs: null, tokensPerSecond: null, totalMs: null, generated, stopped },
    provenance: { ...base, outcome: end.outcome, ...(stopped ? { stopped: true } : { error: end.error }) },
  };
}

/** One answer being run: where it is saved and what it was asked. */
interface AnswerJob {
  requestId: string;
  messageId: number;
  request: ParsedChatAsk;
  base: Record<string, unknown>;
}

/** Request ids of the answers running now, and of those asked to stop. */
interface RunState {
  running: Set<string>;
  stopped: Set<string>;
}

/** Runs one answer, saving it as it grows (every `saveEveryMs`) and at the end; emits `token` and `end`. */
async function runAnswer(deps: ChatServiceDeps, state: RunState, job: AnswerJob): Promise<void> {
  const { requestId, messageId, request, base } = job;
  const { stopped, running } = state;
  running.add(requestId);
  let answer = '';
  let saved = '';
  let generated = 0;
  const save = async (): Promise<void> => {
    if (answer === saved) return;
    saved = answer;
    unwrap(await deps.db.call('updateMessage', messageId, { text: answer }));
  };
  const timer = setInterval(
    () => void save().catch((e: unknown) => deps.log?.('warn', `chat: saving the answer failed: ${String(e)}`)),
    deps.saveEveryMs ?? 1000,
  );
  const { conversationId: _c, imageSha256, userMessageId: _u, replaces: _r, attachImage: _a, requestId: _q, ...rest } = request;
  let end: ChatEnd = { requestId, assistantMessageId: messageId, outcome: 'done', error: null };
  try {
    // Stopped while the question was being saved: nothing is asked; the answer is kept empty and stopped. From this
    // check to the inference service registering `requestId` nothing awaits, so a later stop's cancel finds the ask.
    if (stopped.has(requestId)) throw new AppFailure('inference/cancelled', 'Stopped before the model started');
    const onToken = (t: TokenEvent): void => {
      answer += t.text;
      generated = t.generated;
      deps.emit('token', { requestId, assistantMessageId: messageId, text: t.text, answer, generated });
    };
    const result = await deps.ask({ ...rest, requestId, image: { hash: imageSha256 } }, onToken);
    clearInterval(timer);
    const patch = finalPatch(result, base, request.systemPrompt ?? null);
    const ood = await verdict(deps, imageSha256, request.modelDir, base['manifestHash']);
    unwrap(await deps.db.call('updateMessage', messageId, { ...patch, provenance: { ...patch.provenance, ood } }));
  } catch (thrown) {
    clearInterval(timer);
    const error = toAppError(thrown);
    const outcome = stopped.has(requestId) || error.code === 'inference/cancelled' ? 'stopped' : 'failed';
    end = { ...end, outcome, error: outcome === 'failed' ? error : null };
    await deps.db.call('updateMessage', messageId, endPatch(answer, generated, base, end));
  } finally {
    stopped.delete(requestId);
    running.delete(requestId);
    deps.emit('end', end);
  }
}

/** The question the answer belongs to: saved now, or the one the request names (regenerate, retry). */
async function saveQuestion(db: DatabaseClient, conversationId: number, request: ParsedChatAsk): Promise<number> {
  if (request.userMessageId !== undefined) return request.userMessageId;
  const message = {
    role: 'user' as const,
    text: request.question,
    images: request.attachImage === false ? [] : [request.imageSha256],
    ...(request.replaces !== undefined ? { provenance: { replaces: request.replaces } } : {}),
  };
  return unwrap(await db.call('appendMessage', conversationId, message)).id;
}

/** Saves the question and the (empty) answer, then runs the answer in the background; resolves with the ids. */
async function startAnswer(deps: ChatServiceDeps, state: RunState, requestId: string, request: ParsedChatAsk): Promise<ChatStarted> {
  const conversationId =
    request.conversationId ?? unwrap(await deps.db.call('createConversation', { title: request.question.slice(0, 60) })).id;
  const userMessageId = await saveQuestion(deps.db, conversationId, request);
  const modelDir = path.resolve(request.modelDir ?? deps.defaultModelDir);
  // A regeneration's answer replaces the answer it regenerates (an edited question carries `replaces` itself).
  const regenerates = request.userMessageId !== undefined && request.replaces !== undefined ? { replaces: request.replaces } : {};
  const base = { modelDir, manifestHash: await manifestSha256(modelDir), requestId, ...regenerates };
  const assistant = unwrap(await deps.db.call('appendMessage', conversationId, { role: 'assistant', text: '', provenance: base }));
  void runAnswer(deps, state, { requestId, messageId: assistant.id, request: { ...request, modelDir }, base });
  return { requestId, conversationId, userMessageId, assistantMessageId: assistant.id };
}

/** Builds the `chat` service. */
export function createChatService(deps: ChatServiceDeps): ServiceImpl<ChatContract> {
  const state: RunState = { running: new Set(), stopped: new Set() };
  return {
    ask: async (request) => {
      const requestId = request.requestId ?? `chat-${randomUUID()}`;
      if (state.running.has(requestId)) throw new AppFailure('ipc/bad-args', `requestId ${requestId} is already running`);
      // Running from here on, so a stop that arrives while the question is being saved is honoured.
      state.running.add(requestId);
      try {
        return await startAnswer(deps, state, requestId, request);
      } catch (thrown) {
        state.running.delete(requestId);
        state.stopped.delete(requestId);
        throw thrown;
      }
    },
    running: () => [...state.running],
    stop: (requestId) => {
      if (!state.running.has(requestId)) return false;
      state.stopped.add(requestId);
      deps.cancel(requestId);
      return true;
    },
  };
}
