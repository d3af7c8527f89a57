// Main-side access to the database worker: spawns the worker thread as a ChildEndpoint for the Supervisor (runs in
// Electron main, the CLI and tests; never imports better-sqlite3). Calls go through the shared ContractClient.
import { Worker } from 'node:worker_threads';
import type { ChildEndpoint, ChildMessage, ExitInfo, Spawn } from '../electron/shared/process/protocol.ts';
import type { ContractClient } from '../electron/shared/process/client.ts';
import type { DatabaseContract } from '../electron/shared/ipc/database.ts';
import type { WorkerConfig } from './context.ts';

export type { WorkerConfig };

/** Typed calls to the database worker. */
export type DatabaseClient = ContractClient<DatabaseContract>;

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
