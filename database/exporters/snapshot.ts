// The dataset snapshot an export came from: counts, the filter and settings, and a content hash over what was
// written (first line of provenance.jsonl), plus the refusal to write into a folder that already has files (database worker).
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ExportOptions } from '../../electron/shared/ipc/dataset.ts';
import { AppFailure } from '../../electron/shared/errors.ts';
import type { ExportRecord } from './records.ts';

/** Files an earlier export may have left that this one does not rewrite (removed when overwriting one). */
const EXPORT_FILES = [
  'train.json',
  'val.json',
  'train.jsonl',
  'val.jsonl',
  'coco_train.json',
  'coco_val.json',
  'train.parquet',
  'val.parquet',
  'dataset_info.json',
];

/**
 * Refuses a folder that already has entries unless `overwrite` (then removes the split and index files an earlier
 * SliME export left there, recognised by its provenance.jsonl, so no stale split survives). Error: `dataset/not-empty`.
 */
export async function checkOutDir(root: string, overwrite: boolean): Promise<void> {
  const entries = await fs.readdir(root);
  if (entries.length === 0) return;
  if (!overwrite)
    throw new AppFailure(
      'dataset/not-empty',
      `The folder ${root} already has ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}; choose an empty folder or overwrite.`,
      { outDir: root, entries: entries.length },
    );
  if (!entries.includes('provenance.jsonl')) return;
  for (const name of EXPORT_FILES.filter((n) => entries.includes(n))) {
    const stat = await fs.lstat(path.join(root, name));
    if (stat.isFile()) await fs.rm(path.join(root, name));
  }
}

/** Running content hash over the exported records, in export order. */
export class SnapshotHash {
  private readonly hash: Hash = createHash('sha256');
  add(record: ExportRecord, split: string): void {
    const content = {
      id: record.id,
      split,
      image: record.image?.sha256 ?? null,
      system: record.system,
      turns: record.turns,
      regions: record.regions.map((r) => [r.x1, r.y1, r.x2, r.y2, r.note]),
      tags: record.tags,
      status: record.status,
      answerSource: record.answerSource,
    };
    this.hash.update(`${JSON.stringify(content)}\n`);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

function countBy<T>(values: T[], key: (v: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[key(v)] = (out[key(v)] ?? 0) + 1;
  return out;
}

/** The first line of provenance.jsonl. */
export function snapshotLine(
  options: ExportOptions,
  records: ExportRecord[],
  counts: { train: number; val: number; rejected: number; matched: number; images: number },
  sha256: string,
): Record<string, unknown> {
  return {
    snapshot: {
      sha256,
      hashOf: 'sha256 over one JSON line per exported record: id, split, image sha256, system, turns, regions, tags, status, answer source',
      format: options.format,
      filter: options.filter ?? {},
      valFraction: options.valFraction ?? 0,
      seed: options.seed ?? 0,
      counts: {
        ...counts,
        exported: counts.train + counts.val,
        byStatus: countBy(records, (r) => r.status),
        byAnswerSource: countBy(records, (r) => r.answerSource),
      },
      exportedAt: new Date().toISOString(),
    },
  };
}
