// Child-side request loop of the process protocol: dispatches requests to handlers, gives each an
// AbortSignal that a cancel message trips, streams events, and answers every request with a Result.
import { toAppError, err } from '../errors.ts';
import type { ChildMessage, ParentMessage } from './protocol.ts';
import { isParentMessage } from './protocol.ts';

/** What a handler gets besides its arguments. */
export interface HandlerContext {
  /** Tripped when the parent cancels this request (or it times out there). */
  signal: AbortSignal;
  /** Sends a progress/stream event for this request. */
  emit(payload: unknown): void;
}

/** A request handler: resolves to the value, or throws an AppFailure. */
export type Handler = (args: unknown, ctx: HandlerContext) => Promise<unknown> | unknown;

/** The child's side of the transport. */
export interface ParentPort {
  send(message: ChildMessage): void;
  onMessage(listener: (message: unknown) => void): void;
}

/** Serves `handlers` over `port` until the process ends. */
export function serveRequests(port: ParentPort, handlers: Record<string, Handler>): void {
  const running = new Map<number, AbortController>();
  port.onMessage((raw) => {
    if (!isParentMessage(raw)) return;
    const message: ParentMessage = raw;
    if (message.type === 'cancel') {
      running.get(message.id)?.abort();
      return;
    }
    const handler = handlers[message.method];
    if (!handler) {
      port.send({ type: 'response', id: message.id, result: err('ipc/unknown-method', `No such method in child: ${message.method}`) });
      return;
    }
    const controller = new AbortController();
    running.set(message.id, controller);
    const ctx: HandlerContext = {
      signal: controller.signal,
      emit: (payload) => port.send({ type: 'event', id: message.id, payload }),
    };
    void (async () => {
      try {
        const value = await handler(message.args, ctx);
        port.send({ type: 'response', id: message.id, result: { ok: true, value } });
      } catch (thrown) {
        const error = toAppError(thrown);
        if (error.code === 'internal') {
          port.send({ type: 'log', level: 'error', message: thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown) });
        }
        port.send({ type: 'response', id: message.id, result: { ok: false, error } });
      } finally {
        running.delete(message.id);
      }
    })();
  });
  port.send({ type: 'ready', pid: process.pid });
}
