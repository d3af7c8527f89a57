// Node-only: starts the database worker thread under a Supervisor and returns a typed client (main, CLI, tests).
import path from 'node:path';
import { Supervisor } from '../shared/process/supervisor.ts';
import { ContractClient } from '../shared/process/client.ts';
import { databaseContract } from '../shared/ipc/database.ts';
import { databaseWorkerSpawner, type DatabaseClient } from '../../database/client.ts';

/** Where the dataset lives and how to reach the worker. */
export interface DatasetWorkerOptions {
  /** Folder holding `dataset.sqlite` and `images/` (unless overridden). */
  dataDir: string;
  /** The SQLite file (default `<dataDir>/dataset.sqlite`). */
  dbPath?: string;
  /** The image store (default `<dataDir>/images`). */
  imagesDir?: string;
  readOnly?: boolean;
  /** The worker entry (bundled builds pass theirs). */
  entry?: string | URL;
  /** Default per-call timeout (ms). */
  timeoutMs?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** A running database worker. */
export interface DatasetWorker {
  client: DatabaseClient;
  supervisor: Supervisor;
  dbPath: string;
  imagesDir: string;
  /** Checkpoints and closes the database, then ends the thread. */
  stop(): Promise<void>;
}

/** Starts the database worker (lazily: the thread starts with the first call). */
export function startDatasetWorker(options: DatasetWorkerOptions): DatasetWorker {
  const dbPath = options.dbPath ?? path.join(options.dataDir, 'dataset.sqlite');
  const imagesDir = options.imagesDir ?? path.join(options.dataDir, 'images');
  const spawn = databaseWorkerSpawner({ dbPath, imagesDir, readOnly: options.readOnly ?? false }, options.entry);
  let running = false;
  const supervisor = new Supervisor(
    { spawn, name: 'database', defaultTimeoutMs: options.timeoutMs ?? 30_000, ...(options.log ? { log: options.log } : {}) },
    { onSpawn: () => (running = true), onCrash: () => (running = false) },
  );
  const client: DatabaseClient = new ContractClient(databaseContract, supervisor, options.timeoutMs ?? 30_000);
  return {
    client,
    supervisor,
    dbPath,
    imagesDir,
    async stop() {
      if (running) await client.callWith('close', [], { timeoutMs: 10_000 });
      running = false;
      await supervisor.stop();
    },
  };
}
