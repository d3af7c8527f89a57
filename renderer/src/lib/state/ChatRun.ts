// Renderer: one chat answer run by main (`chat.ask`) — delivers its token, stage and end events. Events can arrive
// before the call's reply (browser mode: SSE and fetch travel apart), so they are held until the request id is known.
import type { ChatAsk, ChatEnd, ChatStarted, ChatToken } from '$shared/ipc/chat.ts';
import type { StageEvent } from '$shared/ipc/inference.ts';
import { api } from '../api/client.ts';

/** Callbacks of a running answer. */
export interface ChatRunHandlers {
  ontoken: (token: ChatToken) => void;
  onstage: (stage: StageEvent['stage']) => void;
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

/** Asks main to answer `request`; `started` rejects with ApiError when it was refused (then `ended` rejects too). */
export function startChatRun(request: ChatAsk, handlers: ChatRunHandlers): ChatRun {
  let id: string | null = null;
  const held: Held[] = [];
  let finish: (end: ChatEnd) => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const ended = new Promise<ChatEnd>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const deliver = (h: Held): void => {
    if (h.kind === 'token') handlers.ontoken(h.e);
    else if (h.kind === 'stage') handlers.onstage(h.e.stage);
    else {
      offs.forEach((off) => off());
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
  const started = api.chat.ask(request).then(
    (ids) => {
      id = ids.requestId;
      for (const h of held.splice(0)) if (h.e.requestId === id) deliver(h);
      return ids;
    },
    (thrown: unknown) => {
      offs.forEach((off) => off());
      fail(thrown);
      throw thrown;
    },
  );
  ended.catch(() => undefined);
  return { started, ended };
}
