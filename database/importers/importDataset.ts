// Import job: reads a LLaVA JSON, ShareGPT or Parquet source, resolves images inside its folder, keeps good records,
// reports each bad one with its id and reason, each repeated one (same image + same turns) as a duplicate, and each
// normalised one with what changed (database worker).
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ImportOptions, ImportSummary, NewExample } from '../../electron/shared/ipc/dataset.ts';
import type { DbContext, JobContext } from '../context.ts';
import { AppFailure } from '../../electron/shared/errors.ts';
import { measureImage, writeImageFile } from '../imageStore.ts';
import { upsertImage } from '../queries/images.ts';
import { insertExample } from '../queries/examples.ts';
import { all, list, sql } from '../sql.ts';
import { resolveInside } from '../safePath.ts';
import { MOVED_NOTE, type ParsedRecord } from './parseRecord.ts';
import { contentKey, existingKeys } from './dedupe.ts';
import { openSource, type ImportSource, type SourceItem } from './sources.ts';

const CHUNK = 200;

/** A parsed record with its image bytes read (not yet decoded or stored) and its content key. */
interface Candidate {
  item: SourceItem & { parsed: ParsedRecord };
  bytes: Uint8Array | null;
  sha: string | null;
  key: string;
}

/** The state of one import across its chunks. */
interface ImportRun {
  ctx: DbContext;
  options: ImportOptions;
  source: ImportSource;
  file: string;
  report: ImportSummary;
  seenIds: Set<string>;
  seenKeys: Map<string, string>;
}

/** Reads a record's image bytes (inline, or a file inside the source's folder); throws the rejection reason. */
async function readImage(root: string, parsed: ParsedRecord): Promise<Uint8Array | null> {
  if (parsed.inline) return parsed.inline.bytes;
  if (!parsed.image) return null;
  const real = await resolveInside(root, parsed.image);
  return fs.readFile(real).catch((thrown: NodeJS.ErrnoException) => {
    throw new AppFailure('io/permission', `cannot read image ${parsed.image}: ${thrown.code ?? thrown.message}`);
  });
}

async function candidateOf(run: ImportRun, item: SourceItem & { parsed: ParsedRecord }): Promise<Candidate> {
  const bytes = await readImage(run.source.root, item.parsed);
  const sha = bytes ? createHash('sha256').update(bytes).digest('hex') : null;
  const claimed = item.parsed.inline?.sha256;
  if (claimed && sha && claimed.toLowerCase() !== sha)
    throw new AppFailure('dataset/invalid', `image_sha256 ${claimed} does not match the image bytes (${sha})`);
  return { item, bytes, sha, key: contentKey(sha, item.parsed.turns) };
}

function existingIds(run: ImportRun, ids: string[]): Set<string> {
  return new Set(
    all<{ external_id: string }>(run.ctx.db, sql`SELECT external_id FROM examples WHERE external_id IN ${list(ids)}`).map(
      (r) => r.external_id,
    ),
  );
}

/** Decodes and stores the image (the decode check runs only for records that will be inserted). */
async function storeImage(run: ImportRun, c: Candidate): Promise<void> {
  if (!c.bytes) return;
  const measured = await measureImage(c.bytes);
  await writeImageFile(run.ctx.imagesDir, measured, c.bytes);
  const name = c.item.parsed.image ? path.basename(c.item.parsed.image) : c.item.id;
  upsertImage(run.ctx.db, measured, name, run.ctx.now());
}

function toNewExample(run: ImportRun, c: Candidate): NewExample {
  const record = c.item.parsed;
  const importInfo: Record<string, unknown> = { file: path.basename(run.file), format: record.format };
  if (record.image && record.imagePlacement !== 'prefix') importInfo.imagePlacement = record.imagePlacement;
  if (record.movedFrom !== null) importInfo.movedImageToken = { from: record.movedFrom };
  return {
    externalId: c.item.ownId ? record.id : undefined,
    imageSha256: c.sha,
    system: record.system,
    turns: record.turns,
    answerSource: record.answerSource ?? 'human',
    status: run.options.status ?? 'draft',
    tags: run.options.tags ?? [],
    provenance: { source: 'import', import: importInfo, ...(record.extra ?? {}) },
  };
}

/** Why `c` is left out (rejection or duplicate, already reported), or null when it is to be inserted. */
function leaveOut(run: ImportRun, c: Candidate, inDb: Map<string, number>, taken: Set<string>): boolean {
  const { id, ownId } = c.item;
  const existing = inDb.get(c.key);
  const earlier = run.seenKeys.get(c.key);
  if (existing !== undefined || earlier !== undefined) {
    const reason =
      existing !== undefined ? `same image and turns as example ${existing}` : `same image and turns as record ${earlier} of this import`;
    run.report.duplicates.push({ id, exampleId: existing ?? null, reason });
    return true;
  }
  if (ownId && (run.seenIds.has(id) || taken.has(id))) {
    const reason = run.seenIds.has(id) ? 'duplicate id in the file' : 'an example with this id is already in the dataset';
    run.report.rejected.push({ id, reason });
    return true;
  }
  return false;
}

/** Turns one chunk of source items into the examples to insert, reporting the rest. */
async function prepareChunk(run: ImportRun, items: SourceItem[]): Promise<NewExample[]> {
  const candidates: Candidate[] = [];
  for (const item of items) {
    if ('reason' in item.parsed) run.report.rejected.push({ id: item.id, reason: item.parsed.reason });
    else {
      const c = await candidateOf(run, item as Candidate['item']).catch((thrown: unknown) => {
        if (!(thrown instanceof AppFailure)) throw thrown;
        run.report.rejected.push({ id: item.id, reason: thrown.message });
      });
      if (c) candidates.push(c);
    }
  }
  const inDb = existingKeys(
    run.ctx.db,
    candidates.map((c) => ({ sha: c.sha, turns: c.item.parsed.turns })),
  );
  const taken = existingIds(
    run,
    candidates.filter((c) => c.item.ownId).map((c) => c.item.id),
  );
  const ready: NewExample[] = [];
  for (const c of candidates) {
    if (leaveOut(run, c, inDb, taken)) continue;
    try {
      await storeImage(run, c);
    } catch (thrown) {
      if (!(thrown instanceof AppFailure)) throw thrown;
      run.report.rejected.push({ id: c.item.id, reason: thrown.message });
      continue;
    }
    run.seenKeys.set(c.key, c.item.id);
    if (c.item.ownId) run.seenIds.add(c.item.id);
    if (c.item.parsed.movedFrom !== null) run.report.normalised.push({ id: c.item.id, note: MOVED_NOTE });
    ready.push(toNewExample(run, c));
  }
  return ready;
}

function insertChunk(ctx: DbContext, ready: NewExample[]): void {
  const now = ctx.now();
  ctx.db.transaction(() => {
    for (const example of ready)
      insertExample(
        ctx.db,
        {
          externalId: example.externalId ?? null,
          imageSha256: example.imageSha256,
          system: example.system ?? null,
          turns: example.turns,
          sourceMessageId: null,
          answerSource: example.answerSource ?? 'human',
          status: example.status ?? 'draft',
          notes: '',
          provenance: example.provenance ?? {},
          tags: example.tags ?? [],
        },
        now,
      );
  })();
}

/** Imports a file or a folder of Parquet shards. Errors: `io/not-found`, `dataset/invalid`, `process/cancelled`. */
export async function importDataset(ctx: DbContext, job: JobContext, options: ImportOptions): Promise<ImportSummary> {
  const file = path.resolve(options.file);
  const source = await openSource(file, options.format ?? 'auto');
  const report: ImportSummary = { imported: 0, rejected: [], normalised: [], duplicates: [], format: source.format };
  const run: ImportRun = { ctx, options, source, file, report, seenIds: new Set(), seenKeys: new Map() };
  let done = 0;
  for await (const items of source.chunks(CHUNK)) {
    if (job.signal.aborted) throw new AppFailure('process/cancelled', `The import was cancelled after ${report.imported} records.`);
    const ready = await prepareChunk(run, items);
    insertChunk(ctx, ready);
    report.imported += ready.length;
    done += items.length;
    job.emit({ phase: 'importing', done, total: source.total });
  }
  report.format = source.format;
  return report;
}
