// Import job: reads a LLaVA JSON or ShareGPT file, resolves images inside its folder, keeps good records and
// reports each bad one with its id and reason (database worker).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ImportOptions, ImportSummary, NewExample, Rejection } from '../../electron/shared/ipc/dataset.ts';
import type { DbContext, JobContext } from '../context.ts';
import { AppFailure } from '../../electron/shared/errors.ts';
import { measureImage, writeImageFile } from '../imageStore.ts';
import { upsertImage } from '../queries/images.ts';
import { insertExample } from '../queries/examples.ts';
import { all, list, sql } from '../sql.ts';
import { resolveInside } from '../safePath.ts';
import { parseRecord, recordId, type ParsedRecord } from './parseRecord.ts';

const CHUNK = 200;
const MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024;

async function readRecords(file: string): Promise<unknown[]> {
  const stat = await fs.stat(file).catch(() => {
    throw new AppFailure('io/not-found', `No file ${file}.`);
  });
  if (!stat.isFile()) throw new AppFailure('dataset/invalid', `${file} is not a file.`);
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

/** Stores the record's image (resolved inside `root`) and returns its hash; throws with the rejection reason. */
async function storeImage(ctx: DbContext, root: string, relative: string): Promise<string> {
  const real = await resolveInside(root, relative);
  const bytes = await fs.readFile(real).catch((thrown: NodeJS.ErrnoException) => {
    throw new AppFailure('io/permission', `cannot read image ${relative}: ${thrown.code ?? thrown.message}`);
  });
  const measured = await measureImage(bytes);
  await writeImageFile(ctx.imagesDir, measured, bytes);
  upsertImage(ctx.db, measured, path.basename(relative), ctx.now());
  return measured.sha256;
}

function toNewExample(record: ParsedRecord, sha256: string | null, options: ImportOptions, file: string): NewExample {
  const importInfo: Record<string, unknown> = { file: path.basename(file), format: record.format };
  if (record.image && record.imagePlacement !== 'prefix') importInfo.imagePlacement = record.imagePlacement;
  return {
    externalId: record.id,
    imageSha256: sha256,
    system: record.system,
    turns: record.turns,
    answerSource: 'human',
    status: options.status ?? 'draft',
    tags: options.tags ?? [],
    provenance: { source: 'import', import: importInfo },
  };
}

function existingIds(ctx: DbContext, ids: string[]): Set<string> {
  return new Set(
    all<{ external_id: string }>(ctx.db, sql`SELECT external_id FROM examples WHERE external_id IN ${list(ids)}`).map((r) => r.external_id),
  );
}

/** Imports a file. Errors: `io/not-found`, `dataset/invalid` (not a JSON array), `process/cancelled`. */
export async function importDataset(ctx: DbContext, job: JobContext, options: ImportOptions): Promise<ImportSummary> {
  const file = path.resolve(options.file);
  const records = await readRecords(file);
  const root = await fs.realpath(path.dirname(file));
  const rejected: Rejection[] = [];
  const seen = new Set<string>();
  let imported = 0;
  let format: ImportSummary['format'] = options.format === 'sharegpt' ? 'sharegpt' : 'llava';
  for (let start = 0; start < records.length; start += CHUNK) {
    if (job.signal.aborted) throw new AppFailure('process/cancelled', `The import was cancelled after ${imported} records.`);
    const chunk = records.slice(start, start + CHUNK);
    const taken = existingIds(
      ctx,
      chunk.map((r, i) => recordId(r, start + i)),
    );
    const ready: NewExample[] = [];
    for (const [offset, raw] of chunk.entries()) {
      const parsed = parseRecord(raw, start + offset, options.format ?? 'auto');
      const id = recordId(raw, start + offset);
      if ('reason' in parsed) {
        rejected.push({ id, reason: parsed.reason });
        continue;
      }
      format = parsed.format;
      if (seen.has(id) || taken.has(id)) {
        rejected.push({ id, reason: seen.has(id) ? 'duplicate id in the file' : 'an example with this id is already in the dataset' });
        continue;
      }
      try {
        const sha = parsed.image ? await storeImage(ctx, root, parsed.image) : null;
        seen.add(id);
        ready.push(toNewExample(parsed, sha, options, file));
      } catch (thrown) {
        if (!(thrown instanceof AppFailure)) throw thrown;
        rejected.push({ id, reason: thrown.message });
      }
    }
    const now = ctx.now();
    ctx.db.transaction(() => {
      for (const example of ready)
        insertExample(
          ctx.db,
          {
            ...example,
            externalId: example.externalId ?? null,
            imageSha256: example.imageSha256,
            system: example.system ?? null,
            sourceMessageId: null,
            answerSource: 'human',
            status: example.status ?? 'draft',
            notes: '',
            provenance: example.provenance ?? {},
            tags: example.tags ?? [],
          },
          now,
        );
    })();
    imported += ready.length;
    job.emit({ phase: 'importing', done: Math.min(start + CHUNK, records.length), total: records.length });
  }
  return { imported, rejected, format };
}
