// Entry of the database worker thread (owned by main, the CLI or a test): opens the one writer connection and serves
// the `database` contract through the shared `serve` loop, looking methods up on the reader and writer objects.
import { parentPort, workerData } from 'node:worker_threads';
import { databaseContract } from '../electron/shared/ipc/database.ts';
import { AppFailure, toAppError } from '../electron/shared/errors.ts';
import { lookupIn, serve, type Handler, type ParentPort } from '../electron/shared/process/serve.ts';
import type { ChildMessage } from '../electron/shared/process/protocol.ts';
import type { DbCall, DbContext, DbHandlers, WorkerConfig } from './context.ts';
import { openDatabase } from './connection.ts';
import { classify } from './errors.ts';
import { reader } from './reader.ts';
import { writer } from './writer.ts';

if (!parentPort) throw new Error('database/worker.ts must run as a worker thread');
const port = parentPort;

/** Compile-time check: the reader and the writer together implement the whole contract. */
export const implemented: DbHandlers = { ...reader, ...writer };

function refuseWrites(ctx: DbContext): void {
  if (!ctx.health.readOnly) return;
  const damaged = ctx.health.status === 'damaged';
  const why = damaged ? `it failed its integrity check; a copy was kept at ${ctx.health.backupPath}` : 'it was opened read-only';
  throw new AppFailure(damaged ? 'db/corrupt' : 'db/read-only', `The dataset cannot be changed: ${why}.`);
}

function open(config: WorkerConfig): DbContext | { error: unknown } {
  try {
    const { db, health } = openDatabase(config.dbPath, { readOnly: config.readOnly ?? false });
    return { db, health, imagesDir: config.imagesDir, now: () => Date.now() };
  } catch (error) {
    return { error };
  }
}

const opened = open(workerData as WorkerConfig);

const readMethod = lookupIn<DbCall>(reader);
const writeMethod = lookupIn<DbCall>(writer);

/** The allow-list and the read/write split: a reader method runs as is, a writer method only on a writable dataset. */
function lookup(method: string): Handler<DbCall> | undefined {
  const read = readMethod(method);
  if (read) return read;
  const write = writeMethod(method);
  if (!write) return undefined;
  return (ctx, ...args) => {
    refuseWrites(ctx);
    return write(ctx, ...args);
  };
}

const transport: ParentPort = {
  send: (message: ChildMessage) => port.postMessage(message),
  onMessage: (listener) => port.on('message', listener),
};

serve<DbCall>(transport, databaseContract, {
  lookup,
  context: (call) => {
    if ('error' in opened) throw opened.error;
    return { ...opened, signal: call.signal, emit: call.emit };
  },
  toError: (thrown) => toAppError(classify(thrown)),
});
