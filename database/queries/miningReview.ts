// The review queue: examples with hardness signals sorted by "needs local detail" (OOD rows last by construction of
// the rank), with evidence coverage of their regions computed on read so it follows region edits (database worker).
import type Database from 'better-sqlite3';
import type { Page } from '../../electron/shared/ipc/datasetTypes.ts';
import type {
  ExampleSignals,
  KeptSelection,
  RegionCoverage,
  ReviewItem,
  ReviewQuery,
  SweepSummary,
} from '../../electron/shared/ipc/mining.ts';
import { DROPPED_BELOW, evidenceDropped, regionCoverage, type Box } from '../../electron/shared/mining/coverage.ts';
import { all, get, join, sql, trusted, type Sql } from '../sql.ts';
import type { SignalColumns } from './miningSignals.ts';

interface Row extends SignalColumns {
  id: number;
  image_sha256: string | null;
  status: string;
  selection: string | null;
  question: string;
  answer: string;
}

function signalsOf(r: Row): ExampleSignals {
  return {
    detail: r.detail_score,
    instability: r.instability,
    sweep: r.diverge_at ? (JSON.parse(r.diverge_at) as SweepSummary[]) : null,
    margin: r.margin,
    oodScore: r.ood_score,
    inDist: r.in_dist === null ? null : r.in_dist === 1,
    needsDetail: r.needs_detail,
    missing: JSON.parse(r.missing) as string[],
  };
}

function toItem(db: Database.Database, r: Row, below: number): ReviewItem {
  const boxes = all<Box>(db, sql`SELECT id, x1, y1, x2, y2 FROM regions WHERE example_id = ${r.id} ORDER BY id`);
  const selection = r.selection ? (JSON.parse(r.selection) as KeptSelection) : null;
  const coverage = selection && boxes.length > 0 ? regionCoverage(selection, boxes) : null;
  return {
    exampleId: r.id,
    imageSha256: r.image_sha256,
    question: r.question,
    answer: r.answer,
    status: r.status,
    signals: signalsOf(r),
    coverage,
    evidenceDropped: coverage ? evidenceDropped(coverage, below) : false,
  };
}

function where(q: ReviewQuery): Sql {
  const parts: Sql[] = [sql`e.deleted_at IS NULL`];
  if (q.jobId !== undefined) parts.push(sql`e.id IN (SELECT example_id FROM mining_pairs WHERE job_id = ${q.jobId})`);
  if (q.inDist !== undefined) parts.push(q.inDist ? sql`(s.in_dist IS NULL OR s.in_dist = 1)` : sql`s.in_dist = 0`);
  if (q.evidenceDropped !== undefined)
    parts.push(sql`s.selection IS NOT NULL AND EXISTS (SELECT 1 FROM regions r WHERE r.example_id = e.id)`);
  return join(parts, ' AND ');
}

const SELECT =
  trusted(`SELECT e.id, e.image_sha256, e.status, e.detail_score, s.instability, s.diverge_at, s.margin, s.ood_score, s.in_dist,
  s.needs_detail, s.missing, s.selection, t.question, t.answer
  FROM example_signals s JOIN examples e ON e.id = s.example_id JOIN turns t ON t.example_id = e.id AND t.position = 0`);

/** A page of the review queue, highest "needs local detail" first (ties by id). */
export function reviewQueue(db: Database.Database, q: ReviewQuery): Page<ReviewItem> {
  const offset = q.offset ?? 0;
  const limit = q.limit ?? 50;
  const below = q.coverageBelow ?? DROPPED_BELOW;
  const filter = where(q);
  if (q.evidenceDropped === undefined) {
    const total = get<{ n: number }>(
      db,
      sql`SELECT count(*) AS n FROM example_signals s JOIN examples e ON e.id = s.example_id WHERE ${filter}`,
    )!.n;
    const rows = all<Row>(db, sql`${SELECT} WHERE ${filter} ORDER BY s.needs_detail DESC, e.id LIMIT ${limit} OFFSET ${offset}`);
    return { items: rows.map((r) => toItem(db, r, below)), total, offset, limit };
  }
  // Coverage depends on the regions' geometry, so the filter runs here over the examples that have regions.
  const matching = all<Row>(db, sql`${SELECT} WHERE ${filter} ORDER BY s.needs_detail DESC, e.id`)
    .map((r) => toItem(db, r, below))
    .filter((item) => item.evidenceDropped === q.evidenceDropped);
  return { items: matching.slice(offset, offset + limit), total: matching.length, offset, limit };
}

/**
 * Ids of the live examples whose evidence coverage is known (a stored kept selection and at least one region) and
 * whose "the selector dropped the evidence" verdict equals `dropped` — the dataset list's coverage filter.
 */
export function evidenceExampleIds(db: Database.Database, dropped: boolean, below = DROPPED_BELOW): number[] {
  const rows = all<{ id: number; selection: string }>(
    db,
    sql`SELECT e.id, s.selection FROM example_signals s JOIN examples e ON e.id = s.example_id
        WHERE e.deleted_at IS NULL AND s.selection IS NOT NULL AND EXISTS (SELECT 1 FROM regions r WHERE r.example_id = e.id)
        ORDER BY e.id`,
  );
  return rows
    .filter((r) => {
      const boxes = all<Box>(db, sql`SELECT id, x1, y1, x2, y2 FROM regions WHERE example_id = ${r.id} ORDER BY id`);
      return evidenceDropped(regionCoverage(JSON.parse(r.selection) as KeptSelection, boxes), below) === dropped;
    })
    .map((r) => r.id);
}

/** One example's evidence coverage: per region, and the verdict; null without a stored selection or without regions. */
export function exampleCoverage(
  db: Database.Database,
  exampleId: number,
  below = DROPPED_BELOW,
): { coverage: RegionCoverage[]; dropped: boolean } | null {
  const row = get<{ selection: string | null }>(db, sql`SELECT selection FROM example_signals WHERE example_id = ${exampleId}`);
  if (!row?.selection) return null;
  const boxes = all<Box>(db, sql`SELECT id, x1, y1, x2, y2 FROM regions WHERE example_id = ${exampleId} ORDER BY id`);
  if (boxes.length === 0) return null;
  const coverage = regionCoverage(JSON.parse(row.selection) as KeptSelection, boxes);
  return { coverage, dropped: evidenceDropped(coverage, below) };
}
