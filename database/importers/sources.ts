// What an import reads: a LLaVA/ShareGPT JSON array, or Parquet in the Hugging Face datasets layout (one file or a
// folder of shards), as chunks of parsed records with the folder their relative image paths resolve in (database worker).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ImportOptions, ImportSummary } from '../../electron/shared/ipc/dataset.ts';
import { AppFailure } from '../../electron/shared/errors.ts';
import { parseRecord, recordId, type ParsedRecord } from './parseRecord.ts';
import { parquetChunks, parquetFiles } from './parquetRows.ts';

const MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024;

/** One record of the source: the id it is reported under, whether the file gave that id, and the parse. */
export interface SourceItem {
  id: string;
  ownId: boolean;
  parsed: ParsedRecord | { reason: string };
}

/** An opened import source. */
export interface ImportSource {
  format: ImportSummary['format'];
  /** Real folder that relative image paths resolve in (and may not leave). */
  root: string;
  total: number;
  chunks(size: number): AsyncGenerator<SourceItem[]>;
}

async function readJsonArray(file: string, stat: { size: number }): Promise<unknown[]> {
  if (stat.size > MAX_FILE_BYTES) throw new AppFailure('dataset/invalid', `${file} is larger than 2 GB.`);
  const text = await fs.readFile(file, 'utf8');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (thrown) {
    throw new AppFailure('dataset/invalid', `${path.basename(file)} is not valid JSON: ${(thrown as Error).message}`);
  }
  if (!Array.isArray(data))
    throw new AppFailure('dataset/invalid', `${path.basename(file)} must hold a JSON array of records (LLaVA or ShareGPT).`);
  return data;
}

function hasOwnId(record: unknown): boolean {
  const id = typeof record === 'object' && record !== null ? (record as { id?: unknown }).id : undefined;
  return typeof id === 'string' || typeof id === 'number';
}

function jsonSource(records: unknown[], root: string, wanted: 'auto' | 'llava' | 'sharegpt'): ImportSource {
  const source: ImportSource = {
    format: wanted === 'sharegpt' ? 'sharegpt' : 'llava',
    root,
    total: records.length,
    async *chunks(size) {
      for (let start = 0; start < records.length; start += size) {
        yield records.slice(start, start + size).map((raw, offset) => {
          const parsed = parseRecord(raw, start + offset, wanted);
          if (!('reason' in parsed)) source.format = parsed.format;
          return { id: recordId(raw, start + offset), ownId: hasOwnId(raw), parsed };
        });
      }
    },
  };
  return source;
}

async function isParquet(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r');
  try {
    const { buffer } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    return buffer.toString('latin1') === 'PAR1';
  } finally {
    await handle.close();
  }
}

/** Opens `file` (a JSON file, a Parquet file or a folder of Parquet files). Errors: `io/not-found`, `dataset/invalid`. */
export async function openSource(file: string, wanted: NonNullable<ImportOptions['format']>): Promise<ImportSource> {
  const stat = await fs.stat(file).catch(() => {
    throw new AppFailure('io/not-found', `No file ${file}.`);
  });
  const parquet = stat.isDirectory() || wanted === 'parquet' || (wanted === 'auto' && (await isParquet(file)));
  if (parquet) {
    const { files, total } = await parquetFiles(file);
    const root = await fs.realpath(stat.isDirectory() ? file : path.dirname(file));
    return { format: 'parquet', root, total, chunks: (size) => parquetChunks(files, size) };
  }
  if (!stat.isFile()) throw new AppFailure('dataset/invalid', `${file} is not a file.`);
  const records = await readJsonArray(file, stat);
  return jsonSource(records, await fs.realpath(path.dirname(file)), wanted);
}
