// Database-side failures: the mapping from SQLite's and the file system's codes to the app's error codes (database worker).
import { AppFailure } from '../electron/shared/errors.ts';

/** Turns SQLite and file-system errors into AppFailures with a clear code; other errors pass through. */
export function classify(thrown: unknown): unknown {
  if (thrown instanceof AppFailure) return thrown;
  const code = typeof thrown === 'object' && thrown !== null ? String((thrown as { code?: unknown }).code ?? '') : '';
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return new AppFailure('db/disk-full', `The disk is full; nothing was written (${message}). Free some space and try again.`);
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') {
    return new AppFailure('db/read-only', `The dataset cannot be written: its folder or file is read-only (${message}).`);
  }
  if (code === 'EACCES' || code === 'EPERM') return new AppFailure('io/permission', `Permission denied (${message}).`);
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new AppFailure('db/corrupt', `The dataset file is damaged (${message}).`);
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new AppFailure('db/busy', `The dataset is busy in another process (${message}).`);
  }
  if (code.startsWith('SQLITE_CANTOPEN'))
    return new AppFailure('db/read-only', `The dataset file cannot be opened for writing (${message}).`);
  if (code.startsWith('SQLITE_CONSTRAINT')) return new AppFailure('db/conflict', `The change conflicts with existing data (${message}).`);
  if (code === 'ENOENT') return new AppFailure('io/not-found', message);
  return thrown;
}
