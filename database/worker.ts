// Entry of the database worker thread (owned by main, the CLI or a test): opens the one writer connection and serves requests.
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerConfig } from './contract.ts';
import { openDatabase } from './connection.ts';
import { handlers, type DbContext } from './handlers.ts';
import { serveWorker } from './workerServe.ts';

if (!parentPort) throw new Error('database/worker.ts must run as a worker thread');

const config = workerData as WorkerConfig;
let ctx: DbContext | undefined;
let openError: unknown;
try {
  const { db, health } = openDatabase(config.dbPath, { readOnly: config.readOnly ?? false });
  ctx = { db, health, imagesDir: config.imagesDir, now: () => Date.now() };
} catch (thrown) {
  openError = thrown;
}
serveWorker(parentPort, handlers, ctx, openError);
