// Renderer: one chat answer run by main (`chat.ask`) — delivers its token, stage and end events. Events can arrive
// before the call's reply (browser mode: SSE and fetch travel apart), so they are held until the request id is known.
import type { ChatAsk, ChatEnd, ChatStarted, ChatToken } from '$shared/ipc/chat.ts';
import type { StageEvent } from '$shared/ipc/inference.ts';
import type { Message } from '$shared/ipc/dataset.ts';
import { api } from '../api/client.ts';

/** Callbacks of a running answer. */
export interface ChatRunHandlers {
  ontoken: (token: ChatToken) => void;
  onstage: (stage: StageEvent['stage']) => void;
}

/** The streaming state of an answer main is still running (`unfinishedAnswer`), as far as it has been saved. */
export function followedStreaming(live: { message: Message; requestId: string }): Streaming {
  const { message, requestId } = live;
  const stage = message.text ? 'generate' : 'queued';
  return { requestId, assistantMessageId: message.id, text: message.text, generated: 0, stage, replaces: null };
}

/** A started run: its ids once main saved the question, and its end (the database then holds the final message). */
export interface ChatRun {
  started: Promise<ChatStarted>;
  ended: Promise<ChatEnd>;
}

/** An image in the store, ready to display. */
export interface ShownImage {
  sha256: string;
  url: string;
  width: number;
  height: number;
  fileName: string | null;
}

/** The answer being generated. */
export interface Streaming {
  /** Null until main has saved the question and started the answer. */
  requestId: string | null;
  /** The (still empty) assistant message main saves the answer into. */
  assistantMessageId: number | null;
  text: string;
  generated: number;
  stage: StageEvent['stage'];
  /** The message the answer will replace (regenerate), or null. */
  replaces: number | null;
}

type Held = { kind: 'token'; e: ChatToken } | { kind: 'stage'; e: StageEvent } | { kind: 'end'; e: ChatEnd };

/** Listens to the events of one request id, holding them while the id is not known yet. */
function listen(handlers: ChatRunHandlers, id: string | null) {
  const held: Held[] = [];
  let finish: (end: ChatEnd) => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const ended = new Promise<ChatEnd>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  ended.catch(() => undefined);
  const deliver = (h: Held): void => {
    if (h.kind === 'token') handlers.ontoken(h.e);
    else if (h.kind === 'stage') handlers.onstage(h.e.stage);
    else {
      off();
      finish(h.e);
    }
  };
  const take = (h: Held): void => {
    if (id === null) held.push(h);
    else if (h.e.requestId === id) deliver(h);
  };
  const offs = [
    api.chat.onToken((e) => take({ kind: 'token', e })),
    api.inference.onStage((e) => take({ kind: 'stage', e })),
    api.chat.onEnd((e) => take({ kind: 'end', e })),
  ];
  const off = (): void => offs.splice(0).forEach((o) => o());
  return {
    ended,
    know(requestId: string): void {
      id = requestId;
      for (const h of held.splice(0)) if (h.e.requestId === id) deliver(h);
    },
    abandon(error: unknown): void {
      off();
      fail(error);
    },
  };
}

/** Asks main to answer `request`; `started` rejects with ApiError when it was refused (then `ended` rejects too). */
export function startChatRun(request: ChatAsk, handlers: ChatRunHandlers): ChatRun {
  const events = listen(handlers, request.requestId ?? null);
  const started = api.chat.ask(request).then(
    (ids) => {
      events.know(ids.requestId);
      return ids;
    },
    (thrown: unknown) => {
      events.abandon(thrown);
      throw thrown;
    },
  );
  return { started, ended: events.ended };
}

/**
 * Follows an answer main is running for another page (or for this page before a reload): resolves at its end, or
 * null when it is not running (it ended before this listened, or main was closed while it answered).
 */
export async function followChatRun(requestId: string, handlers: ChatRunHandlers): Promise<ChatEnd | null> {
  const events = listen(handlers, requestId);
  const running = await api.chat.running().catch(() => [] as string[]);
  if (running.includes(requestId)) return events.ended;
  events.abandon(new Error('not running'));
  return null;
}
