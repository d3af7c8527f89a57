// Why a child process ended, in words a user can act on: crashed, killed, out of memory, or failed to launch.
// One mapping for every supervised process (inference process, database worker). Pure TypeScript.
import type { ExitInfo } from './protocol.ts';

/** The kinds of unexpected exit. */
export const EXIT_REASONS = ['launch-failed', 'out-of-memory', 'killed', 'crashed'] as const;
/** One of {@link EXIT_REASONS}. */
export type ExitReason = (typeof EXIT_REASONS)[number];

/** V8 aborts (SIGABRT, exit code 134) when the heap is exhausted; Windows reports 0xC0000409/0xE0000008-style codes. */
const OOM_CODES = new Set([134, 3221226505]);

/** Classifies an exit; `wasReady` is false when the child died before it said it was ready. */
export function exitReason(info: ExitInfo, wasReady: boolean): ExitReason {
  if (info.error || !wasReady) return 'launch-failed';
  if (info.signal === 'SIGABRT' || (info.code !== null && OOM_CODES.has(info.code))) return 'out-of-memory';
  if (info.signal === 'SIGKILL' || info.signal === 'SIGTERM') return 'killed';
  return 'crashed';
}

/** A sentence naming the process, what happened and how it exited. */
export function describeExit(name: string, reason: ExitReason, info: ExitInfo): string {
  const how = info.error ?? (info.signal ? `signal ${info.signal}` : `exit code ${String(info.code)}`);
  switch (reason) {
    case 'launch-failed':
      return `The ${name} process could not be started (${how}).`;
    case 'out-of-memory':
      return `The ${name} process ran out of memory (${how}); close other programs or use a smaller model. It will be restarted.`;
    case 'killed':
      return `The ${name} process was killed (${how}), possibly by the system when memory ran low; it will be restarted.`;
    case 'crashed':
      return `The ${name} process crashed (${how}); it will be restarted.`;
  }
}
