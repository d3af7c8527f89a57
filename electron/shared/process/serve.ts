// Child-side request loop of the process protocol, the one used by the inference process and the database worker:
// looks each request's method up, parses its arguments with the contract's zod schema, gives the handler an
// AbortSignal that a cancel message trips and an emit for stream events, and answers every request with a Result.
import type { Contract, MethodResult, ParsedMethodArgs } from '../ipc/contract.ts';
import { AppFailure, toAppError, type AppError } from '../errors.ts';
import type { ChildMessage, ParentMessage } from './protocol.ts';
import { isParentMessage } from './protocol.ts';

/** What a handler gets besides its arguments. */
export interface HandlerContext {
  /** Tripped when the parent cancels this request (or it times out there). */
  signal: AbortSignal;
  /** Sends a progress/stream event for this request. */
  emit(payload: unknown): void;
}

/** A handler as the loop sees it: a context first, then the parsed arguments. */
export type Handler<X = HandlerContext> = (ctx: X, ...args: unknown[]) => unknown;

/** One handler per method of `C`, each taking the context `X` first and the contract's parsed arguments. */
export type Handlers<C extends Contract, X = HandlerContext> = {
  [K in keyof C['methods']]: (ctx: X, ...args: ParsedMethodArgs<C, K>) => Promise<MethodResult<C, K>> | MethodResult<C, K>;
};

/** The child's side of the transport. */
export interface ParentPort {
  send(message: ChildMessage): void;
  onMessage(listener: (message: unknown) => void): void;
}

/** How a process serves its contract. */
export interface ServeSpec<X> {
  /** The handler of `method`, or undefined (answered `ipc/unknown-method`). The lookup is the allow-list. */
  lookup(method: string): Handler<X> | undefined;
  /** What handlers receive first, built from the per-request context. May throw (e.g. the database did not open). */
  context(call: HandlerContext): X;
  /** Turns a thrown value into the wire error (default `toAppError`). */
  toError?(thrown: unknown): AppError;
}

/** A lookup over plain handler objects (the first that owns `method` wins); inherited properties never match. */
export function lookupIn<X>(...tables: object[]): (method: string) => Handler<X> | undefined {
  return (method) => {
    const table = tables.find((t) => Object.hasOwn(t, method));
    return table ? ((table as Record<string, Handler<X>>)[method] as Handler<X>) : undefined;
  };
}

function parseArgs(contract: Contract, method: string, raw: unknown): unknown[] {
  const spec = Object.hasOwn(contract.methods, method) ? contract.methods[method] : undefined;
  if (!spec) throw new AppFailure('ipc/unknown-method', `The ${contract.service} contract has no method ${method}.`);
  const parsed = spec.args.safeParse(Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]);
  if (parsed.success) return parsed.data as unknown[];
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(args)'}: ${i.message}`);
  throw new AppFailure('ipc/bad-args', `Invalid arguments for ${contract.service}.${method}: ${issues.join('; ')}`, { issues });
}

/** Serves `contract` over `port` until the process ends; reports `ready` at once. */
export function serve<X>(port: ParentPort, contract: Contract, spec: ServeSpec<X>): void {
  const running = new Map<number, AbortController>();
  const toError = spec.toError ?? toAppError;
  port.onMessage((raw) => {
    if (!isParentMessage(raw)) return;
    const message: ParentMessage = raw;
    if (message.type === 'cancel') {
      running.get(message.id)?.abort();
      return;
    }
    const { id, method } = message;
    const controller = new AbortController();
    running.set(id, controller);
    const call: HandlerContext = { signal: controller.signal, emit: (payload) => port.send({ type: 'event', id, payload }) };
    void (async () => {
      try {
        const handler = spec.lookup(method);
        if (!handler) throw new AppFailure('ipc/unknown-method', `The ${contract.service} process has no method ${method}.`);
        const args = parseArgs(contract, method, message.args);
        const value = await handler(spec.context(call), ...args);
        port.send({ type: 'response', id, result: { ok: true, value } });
      } catch (thrown) {
        const error = toError(thrown);
        if (error.code === 'internal') port.send({ type: 'log', level: 'error', message: `${method}: ${stackOf(thrown)}` });
        port.send({ type: 'response', id, result: { ok: false, error } });
      } finally {
        running.delete(id);
      }
    })();
  });
  port.send({ type: 'ready', pid: process.pid });
}

function stackOf(thrown: unknown): string {
  return thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown);
}
