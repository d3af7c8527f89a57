// Main-side access to the database worker: spawns the worker thread as a ChildEndpoint for the Supervisor, and a
// typed client over any requester (runs in Electron main, the CLI and tests; never imports better-sqlite3).
import { Worker } from 'node:worker_threads';
import type { Result } from '../electron/shared/errors.ts';
import type { ChildEndpoint, ChildMessage, ExitInfo, Spawn } from '../electron/shared/process/protocol.ts';
import type { DbArgs, DbMethod, DbResult, WorkerConfig, WorkerProgress } from './contract.ts';

/** The default worker entry (a .ts file under Node's type stripping; bundlers pass their own built entry). */
export const DEFAULT_WORKER_ENTRY: URL = new URL('./worker.ts', import.meta.url);

/** Returns a Spawn that starts the database worker thread with `config`. `entry` overrides the worker file (electron-vite). */
export function databaseWorkerSpawner(config: WorkerConfig, entry: string | URL = DEFAULT_WORKER_ENTRY): Spawn {
  return () => {
    const worker = new Worker(entry, { workerData: config });
    let exited = false;
    worker.on('exit', () => {
      exited = true;
    });
    const endpoint: ChildEndpoint = {
      pid: undefined,
      send: (message) => {
        if (exited) throw new Error('database worker has exited');
        worker.postMessage(message);
      },
      onMessage: (listener: (m: ChildMessage) => void) => {
        worker.on('message', (m: ChildMessage) => listener(m));
      },
      onExit: (listener: (info: ExitInfo) => void) => {
        worker.on('exit', (code) => listener({ code, signal: null }));
      },
      kill: () => {
        void worker.terminate();
      },
    };
    // An uncaught error ends the worker ('exit' follows); keep it from becoming an uncaught error on this side.
    worker.on('error', () => undefined);
    return endpoint;
  };
}

/** Options of one call. */
export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (progress: WorkerProgress) => void;
}

/** What the client needs from its transport: the Supervisor's `request` fits. */
export interface Requester {
  request<T>(
    method: string,
    args: unknown,
    options: { timeoutMs?: number; signal?: AbortSignal; onEvent?: (payload: unknown) => void },
  ): Promise<Result<T>>;
}

/** Typed calls to the database worker; every call has an id, a timeout and a cancel path (via the requester). */
export class DatabaseClient {
  private readonly requester: Requester;
  private readonly timeoutMs: number;

  constructor(requester: Requester, timeoutMs = 30_000) {
    this.requester = requester;
    this.timeoutMs = timeoutMs;
  }

  /** Calls `method` with the default timeout. */
  call<K extends DbMethod>(method: K, ...args: DbArgs<K>): Promise<Result<DbResult<K>>> {
    return this.callWith(method, args, {});
  }

  /** Calls `method` with explicit options (long jobs pass a longer timeout, a signal and a progress listener). */
  callWith<K extends DbMethod>(method: K, args: DbArgs<K>, options: CallOptions): Promise<Result<DbResult<K>>> {
    const onProgress = options.onProgress;
    return this.requester.request<DbResult<K>>(method, args, {
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(onProgress ? { onEvent: (payload: unknown) => onProgress(payload as WorkerProgress) } : {}),
    });
  }
}
