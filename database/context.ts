// What every database method receives (database worker): the one connection, the image store, the clock, and the
// request's cancel signal and progress emitter from the shared `serve` loop.
import type Database from 'better-sqlite3';
import type { DatasetHealth, WorkerProgress } from '../electron/shared/ipc/datasetTypes.ts';
import type { DatabaseContract } from '../electron/shared/ipc/database.ts';
import type { Handlers } from '../electron/shared/process/serve.ts';

/** The opened dataset: the connection and the store's folder. */
export interface DbContext {
  db: Database.Database;
  imagesDir: string;
  health: DatasetHealth;
  now(): number;
}

/** Per-request facilities: cancellation and progress. */
export interface JobContext {
  signal: AbortSignal;
  emit(progress: WorkerProgress): void;
}

/** What a database method gets first. */
export type DbCall = DbContext & JobContext;

/** Every method of the database contract, implemented over a {@link DbCall}. */
export type DbHandlers = Handlers<DatabaseContract, DbCall>;

/** Some of the database methods (the reader's or the writer's share). */
export type DbHandlerTable<K extends keyof DbHandlers> = Pick<DbHandlers, K>;

/** Types a table of database methods against the contract (names and argument types come from it). */
export function handlerTable<K extends keyof DbHandlers>(table: DbHandlerTable<K>): DbHandlerTable<K> {
  return table;
}

/** What the worker is started with (workerData). */
export interface WorkerConfig {
  /** The SQLite file. */
  dbPath: string;
  /** The content-addressed image store folder. */
  imagesDir: string;
  readOnly?: boolean;
}
