// Export job: refuse a non-empty folder (unless overwrite) → filter → load in chunks → validate → split by image →
// copy images → write the format and the provenance sidecar headed by the snapshot line (database worker).
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import type { ExportOptions, ExportSummary, Rejection } from '../../electron/shared/ipc/dataset.ts';
import type { DbContext, JobContext } from '../context.ts';
import { AppFailure } from '../../electron/shared/errors.ts';
import { matchingIds } from '../queries/exampleList.ts';
import { copyInside, prepareOutDir, writeInside } from '../safePath.ts';
import { imageRelPath, shareGptDatasetInfo, toCoco, toLlava, toOpenAi, toShareGpt, validateRecord } from './formats.ts';
import { writeParquet } from './parquet.ts';
import { checkOutDir, SnapshotHash, snapshotLine } from './snapshot.ts';
import { loadRecords, type ExportRecord } from './records.ts';

const CHUNK = 500;

/** 'val' for a deterministic `fraction` of images (keyed by image hash, so one image never lands in both splits). */
export function splitOf(record: ExportRecord, fraction: number, seed: number): 'train' | 'val' {
  if (fraction <= 0) return 'train';
  const key = record.image?.sha256 ?? `record:${record.id}`;
  const h = createHash('sha256').update(`${seed}:${key}`).digest().readUInt32BE(0);
  return h / 0x100000000 < fraction ? 'val' : 'train';
}

function ioFailure(thrown: unknown, outDir: string): unknown {
  const code = (thrown as { code?: unknown }).code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return new AppFailure('io/permission', `Cannot write to ${outDir}: ${(thrown as Error).message}`);
  if (code === 'ENOSPC') return new AppFailure('io/disk-full', `The disk is full while exporting to ${outDir}.`);
  return thrown;
}

function checkCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new AppFailure('process/cancelled', 'The export was cancelled.');
}

function jsonl(records: Record<string, unknown>[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : '');
}

/** The file of `split` in a JSON format and its text. */
function renderSplit(format: Exclude<ExportOptions['format'], 'parquet'>, split: string, records: ExportRecord[]): [string, string] {
  if (format === 'llava') return [`${split}.json`, JSON.stringify(records.map(toLlava), null, 1)];
  if (format === 'sharegpt') {
    const withSystem = records.some((r) => r.system);
    return [
      `${split}.json`,
      JSON.stringify(
        records.map((r) => toShareGpt(r, withSystem)),
        null,
        1,
      ),
    ];
  }
  if (format === 'openai') return [`${split}.jsonl`, jsonl(records.map(toOpenAi))];
  return [`coco_${split}.json`, JSON.stringify(toCoco(records))];
}

/** Writes the format's files for each split; returns their relative names. */
async function writeFormat(
  root: string,
  format: ExportOptions['format'],
  splits: Record<'train' | 'val', ExportRecord[]>,
): Promise<string[]> {
  const files: string[] = [];
  const names = (['train', 'val'] as const).filter((s) => s === 'train' || splits[s].length > 0);
  for (const split of names) {
    if (format === 'parquet') {
      await writeParquet(root, `${split}.parquet`, splits[split]);
      files.push(`${split}.parquet`);
      continue;
    }
    const [file, body] = renderSplit(format, split, splits[split]);
    await writeInside(root, file, body);
    files.push(file);
  }
  if (format === 'sharegpt') {
    const entries = names.map((s) => ({ name: `slime_${s}`, file: `${s}.json`, withSystem: splits[s].some((r) => r.system) }));
    await writeInside(root, 'dataset_info.json', JSON.stringify(shareGptDatasetInfo(entries), null, 2));
    files.push('dataset_info.json');
  }
  return files;
}

function provenanceLine(record: ExportRecord, split: string): Record<string, unknown> {
  return {
    id: record.id,
    split,
    image: imageRelPath(record),
    imageSha256: record.image?.sha256 ?? null,
    answerSource: record.answerSource,
    status: record.status,
    tags: record.tags,
    notes: record.notes,
    detailScore: record.detailScore,
    provenance: record.provenance,
    createdAt: new Date(record.createdAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
  };
}

/** Loads, validates, splits and (except for Parquet, which embeds them) copies the images of the matching records. */
async function collect(
  ctx: DbContext,
  job: JobContext,
  options: ExportOptions,
  root: string,
): Promise<{ splits: Record<'train' | 'val', ExportRecord[]>; rejected: Rejection[]; matched: number }> {
  const filter = options.filter ?? {};
  const ids = matchingIds(ctx.db, { tags: filter.tags, status: filter.status, minDetail: filter.minDetail, ids: filter.ids });
  const splits: Record<'train' | 'val', ExportRecord[]> = { train: [], val: [] };
  const rejected: Rejection[] = [];
  const present = new Map<string, boolean>();
  for (let start = 0; start < ids.length; start += CHUNK) {
    checkCancelled(job.signal);
    for (const record of loadRecords(ctx.db, ctx.imagesDir, ids.slice(start, start + CHUNK))) {
      const image = record.image;
      if (image && !present.has(image.sha256))
        present.set(
          image.sha256,
          await fs.stat(image.source).then(
            (s) => s.isFile(),
            () => false,
          ),
        );
      const reason = validateRecord(record, image ? present.get(image.sha256) === true : true);
      if (reason) {
        rejected.push({ id: record.id, reason });
        continue;
      }
      if (image && options.format !== 'parquet') await copyInside(root, imageRelPath(record)!, image.source, image.bytes);
      splits[splitOf(record, options.valFraction ?? 0, options.seed ?? 0)].push(record);
    }
    job.emit({ phase: 'copying', done: Math.min(start + CHUNK, ids.length), total: ids.length });
  }
  return { splits, rejected, matched: ids.length };
}

/**
 * Runs an export. Errors: `dataset/not-empty` (the folder has files and `overwrite` is not set),
 * `dataset/path-escape`, `io/permission`, `io/disk-full`, `process/cancelled`.
 */
export async function exportDataset(ctx: DbContext, job: JobContext, options: ExportOptions): Promise<ExportSummary> {
  const root = await prepareOutDir(options.outDir).catch((t: unknown) => Promise.reject(ioFailure(t, options.outDir)));
  try {
    await checkOutDir(root, options.overwrite === true);
    const { splits, rejected, matched } = await collect(ctx, job, options, root);
    checkCancelled(job.signal);
    const files = await writeFormat(root, options.format, splits);
    const all = [...splits.train, ...splits.val];
    const hash = new SnapshotHash();
    for (const split of ['train', 'val'] as const) for (const r of splits[split]) hash.add(r, split);
    const sha256 = hash.digest();
    const images = new Set(all.flatMap((r) => (r.image ? [r.image.sha256] : []))).size;
    const counts = { train: splits.train.length, val: splits.val.length, rejected: rejected.length, matched, images };
    const sidecar = [
      snapshotLine(options, all, counts, sha256),
      ...splits.train.map((r) => provenanceLine(r, 'train')),
      ...splits.val.map((r) => provenanceLine(r, 'val')),
    ];
    await writeInside(root, 'provenance.jsonl', jsonl(sidecar));
    files.push('provenance.jsonl');
    job.emit({ phase: 'done', done: matched, total: matched });
    return {
      format: options.format,
      outDir: root,
      exported: all.length,
      train: counts.train,
      val: counts.val,
      images,
      files,
      rejected,
      snapshotSha256: sha256,
    };
  } catch (thrown) {
    throw ioFailure(thrown, options.outDir);
  }
}
