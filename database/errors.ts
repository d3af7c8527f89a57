// Database-side failures: an Error carrying an ErrorCode, and the mapping from SQLite's codes (database worker).
import type { ErrorCode } from '../electron/shared/errors.ts';

/** A failure thrown inside the database layer; its `code` crosses to main as data. */
export class DbFailure extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'DbFailure';
    this.code = code;
    this.details = details;
  }
}

/** Turns SQLite and file-system errors into DbFailures with a clear code; other errors pass through. */
export function classify(thrown: unknown): unknown {
  if (thrown instanceof DbFailure) return thrown;
  const code = typeof thrown === 'object' && thrown !== null ? String((thrown as { code?: unknown }).code ?? '') : '';
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return new DbFailure('db/disk-full', `The disk is full; nothing was written (${message}). Free some space and try again.`);
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') {
    return new DbFailure('db/read-only', `The dataset cannot be written: its folder or file is read-only (${message}).`);
  }
  if (code === 'EACCES' || code === 'EPERM') return new DbFailure('io/permission', `Permission denied (${message}).`);
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new DbFailure('db/corrupt', `The dataset file is damaged (${message}).`);
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new DbFailure('db/busy', `The dataset is busy in another process (${message}).`);
  }
  if (code.startsWith('SQLITE_CANTOPEN'))
    return new DbFailure('db/read-only', `The dataset file cannot be opened for writing (${message}).`);
  if (code.startsWith('SQLITE_CONSTRAINT')) return new DbFailure('db/conflict', `The change conflicts with existing data (${message}).`);
  if (code === 'ENOENT') return new DbFailure('io/not-found', message);
  return thrown;
}
