// The worker's request loop: allow-listed dispatch, per-request AbortSignal and progress events, Results as data (database worker).
import type { MessagePort } from 'node:worker_threads';
import type { ChildMessage, ParentMessage } from '../electron/shared/process/protocol.ts';
import type { AppError, ErrorCode } from '../electron/shared/errors.ts';
import { DB_METHODS, WRITE_METHODS, type DbMethod } from './contract.ts';
import { classify, DbFailure } from './errors.ts';
import type { DbContext, Handlers, JobContext } from './handlers.ts';

const ALLOWED: ReadonlySet<string> = new Set(DB_METHODS);

function isParentMessage(value: unknown): value is ParentMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as { type?: unknown; id?: unknown };
  return (m.type === 'request' || m.type === 'cancel') && typeof m.id === 'number';
}

/** Converts a thrown value to the wire's error shape (unknown errors become `internal`). */
export function toWireError(thrown: unknown): AppError {
  const classified = classify(thrown);
  if (classified instanceof DbFailure) {
    return classified.details
      ? { code: classified.code, message: classified.message, details: classified.details }
      : { code: classified.code, message: classified.message };
  }
  const code: ErrorCode = 'internal';
  return { code, message: classified instanceof Error ? classified.message : String(classified) };
}

/** Serves requests on `port` with `handlers`, over `ctx` (or failing every request with `openError`). */
export function serveWorker(port: MessagePort, handlers: Handlers, ctx: DbContext | undefined, openError: unknown): void {
  const running = new Map<number, AbortController>();
  const send = (message: ChildMessage): void => port.postMessage(message);
  port.on('message', (raw: unknown) => {
    if (!isParentMessage(raw)) return;
    if (raw.type === 'cancel') {
      running.get(raw.id)?.abort();
      return;
    }
    const { id, method } = raw;
    const controller = new AbortController();
    running.set(id, controller);
    const job: JobContext = { signal: controller.signal, emit: (payload) => send({ type: 'event', id, payload }) };
    void (async () => {
      try {
        if (!ALLOWED.has(method)) throw new DbFailure('ipc/unknown-method', `The database worker has no method ${method}.`);
        if (!ctx) throw openError;
        if (ctx.health.readOnly && WRITE_METHODS.has(method as DbMethod)) {
          const why =
            ctx.health.status === 'damaged'
              ? `it failed its integrity check; a copy was kept at ${ctx.health.backupPath}`
              : 'it was opened read-only';
          throw new DbFailure(ctx.health.status === 'damaged' ? 'db/corrupt' : 'db/read-only', `The dataset cannot be changed: ${why}.`);
        }
        const args = Array.isArray(raw.args) ? raw.args : [];
        const fn = handlers[method as DbMethod] as (c: DbContext, j: JobContext, ...a: unknown[]) => unknown;
        const value = await fn(ctx, job, ...args);
        send({ type: 'response', id, result: { ok: true, value } });
      } catch (thrown) {
        const error = toWireError(thrown);
        if (error.code === 'internal')
          send({
            type: 'log',
            level: 'error',
            message: `${method}: ${thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown)}`,
          });
        send({ type: 'response', id, result: { ok: false, error } });
      } finally {
        running.delete(id);
      }
    })();
  });
  send({ type: 'ready', pid: process.pid });
}
