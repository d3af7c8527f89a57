// Renderer: the only module that touches `window.api`. Each service method resolves to its value or throws
// an ApiError carrying the error code; event subscriptions pass through unchanged.
import type { WindowApi } from '$shared/ipc/registry.ts';
import type { AppError, ErrorCode, Result } from '$shared/errors.ts';
import { imageUrl } from '$shared/ipc/images.ts';

/** A failed service call: the code from the ErrorCode union and the message for the user. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(error: AppError) {
    super(error.message);
    this.name = 'ApiError';
    this.code = error.code;
    this.details = error.details;
  }
}

type Unwrapped<S> = {
  [K in keyof S]: S[K] extends (...args: infer A) => Promise<Result<infer R>> ? (...args: A) => Promise<R> : S[K];
};

/** The renderer's api: like `window.api`, but methods resolve to plain values and throw ApiError. */
export type Api = { [K in keyof WindowApi]: Unwrapped<WindowApi[K]> };

function unwrapResult(result: Result<unknown>): unknown {
  if (result.ok) return result.value;
  throw new ApiError(result.error);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function unwrapService(service: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(service)) {
    if (typeof member !== 'function') continue;
    out[name] = (...args: unknown[]): unknown => {
      const returned: unknown = member(...args);
      return isThenable(returned) ? Promise.resolve(returned).then((r) => unwrapResult(r as Result<unknown>)) : returned;
    };
  }
  return Object.freeze(out);
}

function missingApi(): Api {
  const fail = (): Promise<never> =>
    Promise.reject(new ApiError({ code: 'internal', message: 'window.api is missing: the page was opened outside SliME Studio' }));
  return new Proxy({} as Api, { get: () => new Proxy({}, { get: () => fail }) });
}

function createApi(): Api {
  const raw = (globalThis as { api?: unknown }).api;
  if (typeof raw !== 'object' || raw === null) return missingApi();
  const out: Record<string, unknown> = {};
  for (const [service, members] of Object.entries(raw as Record<string, Record<string, unknown>>)) {
    out[service] = unwrapService(members);
  }
  return Object.freeze(out) as Api;
}

/** The app's services. */
export const api: Api = createApi();

/** The URL that displays a registered image (same origin in Electron and in browser mode). */
export { imageUrl };
