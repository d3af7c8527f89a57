// Test helpers: temporary folders, real PNG images made with sharp, and an opened dataset with its reader and writer.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { openDatabase } from '../../database/connection.ts';
import type { DbCall, DbContext } from '../../database/context.ts';
import { reader } from '../../database/reader.ts';
import { writer } from '../../database/writer.ts';
import { databaseContract, type DatabaseContract } from '../../electron/shared/ipc/database.ts';
import type { MethodArgs, MethodResult } from '../../electron/shared/ipc/contract.ts';
import { lookupIn } from '../../electron/shared/process/serve.ts';
import { AppFailure } from '../../electron/shared/errors.ts';

type DbMethod = keyof DatabaseContract['methods'] & string;
const lookup = lookupIn<DbCall>(reader, writer);

/** A fresh temporary folder. */
export function tempDir(prefix = 'slime-db-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A real PNG: a gradient with a coloured square whose position depends on `seed` (distinct images per seed). */
export async function makePng(seed: number, width = 64, height = 48): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  const sx = (seed * 7) % Math.max(1, width - 16);
  const sy = (seed * 13) % Math.max(1, height - 16);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const inSquare = x >= sx && x < sx + 16 && y >= sy && y < sy + 16;
      pixels[i] = inSquare ? 255 : (x * 255) / width;
      pixels[i + 1] = inSquare ? (seed * 37) % 256 : (y * 255) / height;
      pixels[i + 2] = inSquare ? 0 : ((x + y + seed) * 3) % 256;
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** An opened dataset in a temp folder, with a way to call the worker's handlers in-process. */
export interface TestDataset {
  dir: string;
  ctx: DbContext;
  call<K extends DbMethod>(method: K, ...args: MethodArgs<DatabaseContract, K>): Promise<MethodResult<DatabaseContract, K>>;
  close(): void;
}

/** Opens a new dataset (real SQLite file) and its image store in a temp folder. */
export function openTestDataset(dir = tempDir()): TestDataset {
  const { db, health } = openDatabase(path.join(dir, 'dataset.sqlite'));
  let clock = 1_700_000_000_000;
  const ctx: DbContext = { db, health, imagesDir: path.join(dir, 'images'), now: () => ++clock };
  const call: DbCall = { ...ctx, signal: new AbortController().signal, emit: () => {} };
  return {
    dir,
    ctx,
    call: async (method, ...args) => {
      // Arguments are parsed with the contract's schema, as the worker's `serve` loop does.
      const parsed = databaseContract.methods[method].args.safeParse(args);
      if (!parsed.success) throw new AppFailure('ipc/bad-args', parsed.error.message);
      return (await lookup(method)!(call, ...(parsed.data as unknown[]))) as never;
    },
    close: () => {
      if (db.open) db.close();
    },
  };
}
