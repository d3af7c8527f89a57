// Export job: filter → load in chunks → validate → split by image → copy images → write the format and the provenance sidecar (database worker).
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import type { ExportOptions, ExportSummary, Rejection } from '../../electron/shared/ipc/dataset.ts';
import type { DbContext, JobContext } from '../context.ts';
import { AppFailure } from '../../electron/shared/errors.ts';
import { matchingIds } from '../queries/exampleList.ts';
import { copyInside, prepareOutDir, writeInside } from '../safePath.ts';
import { imageRelPath, shareGptDatasetInfo, toCoco, toLlava, toOpenAi, toShareGpt, validateRecord } from './formats.ts';
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

/** Writes the format's files for each split; returns their relative names. */
async function writeFormat(
  root: string,
  format: ExportOptions['format'],
  splits: Record<'train' | 'val', ExportRecord[]>,
): Promise<string[]> {
  const files: string[] = [];
  const names = (['train', 'val'] as const).filter((s) => s === 'train' || splits[s].length > 0);
  for (const split of names) {
    const records = splits[split];
    let file: string;
    let body: string;
    if (format === 'llava') [file, body] = [`${split}.json`, JSON.stringify(records.map(toLlava), null, 1)];
    else if (format === 'sharegpt') [file, body] = [`${split}.json`, JSON.stringify(records.map(toShareGpt), null, 1)];
    else if (format === 'openai') [file, body] = [`${split}.jsonl`, jsonl(records.map(toOpenAi))];
    else [file, body] = [`coco_${split}.json`, JSON.stringify(toCoco(records))];
    await writeInside(root, file, body);
    files.push(file);
  }
  if (format === 'sharegpt') {
    const info = shareGptDatasetInfo(names.map((s) => ({ name: `slime_${s}`, file: `${s}.json` })));
    await writeInside(root, 'dataset_info.json', JSON.stringify(info, null, 2));
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

/** Runs an export. Errors: `dataset/path-escape`, `io/permission`, `io/disk-full`, `process/cancelled`. */
export async function exportDataset(ctx: DbContext, job: JobContext, options: ExportOptions): Promise<ExportSummary> {
  const root = await prepareOutDir(options.outDir).catch((t: unknown) => Promise.reject(ioFailure(t, options.outDir)));
  const filter = options.filter ?? {};
  const ids = matchingIds(ctx.db, { tags: filter.tags, status: filter.status, minDetail: filter.minDetail, ids: filter.ids });
  const splits: Record<'train' | 'val', ExportRecord[]> = { train: [], val: [] };
  const rejected: Rejection[] = [];
  const copied = new Map<string, boolean>();
  const fraction = options.valFraction ?? 0;
  try {
    for (let start = 0; start < ids.length; start += CHUNK) {
      checkCancelled(job.signal);
      for (const record of loadRecords(ctx.db, ctx.imagesDir, ids.slice(start, start + CHUNK))) {
        const image = record.image;
        if (image && !copied.has(image.sha256)) {
          copied.set(
            image.sha256,
            await fs.stat(image.source).then(
              (s) => s.isFile(),
              () => false,
            ),
          );
        }
        const reason = validateRecord(record, image ? copied.get(image.sha256) === true : true);
        if (reason) {
          rejected.push({ id: record.id, reason });
          continue;
        }
        if (image) await copyInside(root, imageRelPath(record)!, image.source, image.bytes);
        splits[splitOf(record, fraction, options.seed ?? 0)].push(record);
      }
      job.emit({ phase: 'copying', done: Math.min(start + CHUNK, ids.length), total: ids.length });
    }
    checkCancelled(job.signal);
    const files = await writeFormat(root, options.format, splits);
    const sidecar = [...splits.train.map((r) => provenanceLine(r, 'train')), ...splits.val.map((r) => provenanceLine(r, 'val'))];
    await writeInside(root, 'provenance.jsonl', jsonl(sidecar));
    files.push('provenance.jsonl');
    job.emit({ phase: 'done', done: ids.length, total: ids.length });
    const images = new Set([...splits.train, ...splits.val].flatMap((r) => (r.image ? [r.image.sha256] : []))).size;
    return {
      format: options.format,
      outDir: root,
      exported: splits.train.length + splits.val.length,
      train: splits.train.length,
      val: splits.val.length,
      images,
      files,
      rejected,
    };
  } catch (thrown) {
    throw ioFailure(thrown, options.outDir);
  }
}
