// Error codes and the Result envelope that cross every process boundary (pure TypeScript, runs anywhere).

/** Every error code the app can report. Each side logs its own stack; only the code and a message cross. */
export const ERROR_CODES = [
  'inference/model-missing',
  'inference/model-invalid',
  'inference/model-unsupported',
  'inference/provider-failed',
  'inference/cancelled',
  'inference/crashed',
  'inference/timeout',
  'inference/failed',
  'image/not-found',
  'image/unsupported',
  'image/corrupt',
  'image/too-large',
  'image/too-small',
  'prompt/empty',
  'prompt/too-long',
  'db/corrupt',
  'db/future-version',
  'db/not-found',
  'db/conflict',
  'db/read-only',
  'db/disk-full',
  'db/busy',
  'dataset/invalid',
  'dataset/path-escape',
  'dataset/not-empty',
  'convert/python-missing',
  'convert/not-a-checkpoint',
  'convert/not-a-clip-folder',
  'convert/checkpoint-invalid',
  'convert/out-exists',
  'convert/busy',
  'convert/cancelled',
  'convert/failed',
  'io/not-found',
  'io/permission',
  'io/disk-full',
  'dialog/unavailable',
  'ipc/bad-args',
  'ipc/bad-sender',
  'ipc/unknown-method',
  'process/timeout',
  'process/cancelled',
  'process/crashed',
  'internal',
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** A failure as data: a code from the union, a sentence for the user, optional machine-readable details. */
export interface AppError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** The envelope every service method resolves to. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: AppError };

/** Wraps a value as a success. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** Builds a failure Result. */
export function err<T = never>(code: ErrorCode, message: string, details?: Record<string, unknown>): Result<T> {
  return { ok: false, error: details === undefined ? { code, message } : { code, message, details } };
}

/** An Error subclass that carries an {@link AppError}; thrown inside a process, turned into data at its edge. */
export class AppFailure extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppFailure';
    this.code = code;
    this.details = details;
  }
  /** The data form of this failure. */
  toAppError(): AppError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** True when `value` is a string in the ErrorCode union. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Converts anything thrown into an AppError; unknown errors become `internal` with their message. */
export function toAppError(thrown: unknown): AppError {
  if (thrown instanceof AppFailure) return thrown.toAppError();
  if (typeof thrown === 'object' && thrown !== null && 'code' in thrown && isErrorCode((thrown as { code: unknown }).code)) {
    const t = thrown as { code: ErrorCode; message?: unknown; details?: unknown };
    const message = typeof t.message === 'string' ? t.message : String(t.code);
    const details = typeof t.details === 'object' && t.details !== null ? (t.details as Record<string, unknown>) : undefined;
    return details === undefined ? { code: t.code, message } : { code: t.code, message, details };
  }
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return { code: 'internal', message };
}

/** Runs `fn` and turns a throw into a failure Result. */
export async function attempt<T>(fn: () => Promise<T> | T): Promise<Result<T>> {
  try {
    return ok(await fn());
  } catch (thrown) {
    return { ok: false, error: toAppError(thrown) };
  }
}

/** The value of a success; a failure is thrown as an {@link AppFailure} with its code, message and details. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new AppFailure(result.error.code, result.error.message, result.error.details);
}

/** The `inference/*` code that stands for a failure of the process hop (`process/*`); other codes are kept. */
export function inferenceCode(code: ErrorCode): ErrorCode {
  if (code === 'process/crashed') return 'inference/crashed';
  if (code === 'process/cancelled') return 'inference/cancelled';
  if (code === 'process/timeout') return 'inference/timeout';
  return code;
}

/** Like {@link unwrap}, with the process hop's failures renamed to the inference codes users see. */
export function unwrapInference<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new AppFailure(inferenceCode(result.error.code), result.error.message, result.error.details);
}
