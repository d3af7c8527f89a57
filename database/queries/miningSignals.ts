// The signals pass's queries (database worker): a job's examples still missing a signal, and storing what the pass
// computed for one of them — the signals row and the detail score in one transaction, the kept selection unchanged.
import type Database from 'better-sqlite3';
import { AppFailure } from '../../electron/shared/errors.ts';
import type { FillableSignal, SignalsUpdate, SignalsWork, SweepSummary } from '../../electron/shared/ipc/miningTypes.ts';
import { storedPath } from '../imageStore.ts';
import { all, run, sql } from '../sql.ts';
import { recordScore } from './scores.ts';

/** The columns of `example_signals` as the mining queries read them (joined to an example). */
export interface SignalColumns {
  detail_score: number | null;
  instability: number | null;
  diverge_at: string | null;
  margin: number | null;
  ood_score: number | null;
  in_dist: number | null;
  needs_detail: number;
  missing: string;
}

interface WorkRow extends SignalColumns {
  id: number;
  image_sha256: string;
  ext: string;
  question: string;
  answer: string;
}

/** The job's live examples whose signals miss one of `wanted`, ordered by image (then id). */
export function examplesMissingSignals(
  db: Database.Database,
  imagesDir: string,
  jobId: number,
  wanted: readonly FillableSignal[],
): SignalsWork[] {
  const rows = all<WorkRow>(
    db,
    sql`SELECT e.id, e.image_sha256, i.ext, t.question, t.answer, e.detail_score, s.instability, s.diverge_at, s.margin,
               s.ood_score, s.in_dist, s.needs_detail, s.missing
        FROM mining_pairs p JOIN examples e ON e.id = p.example_id JOIN example_signals s ON s.example_id = e.id
        JOIN images i ON i.sha256 = e.image_sha256 JOIN turns t ON t.example_id = e.id AND t.position = 0
        WHERE p.job_id = ${jobId} AND e.deleted_at IS NULL
          AND EXISTS (SELECT 1 FROM json_each(s.missing) m WHERE m.value IN (SELECT value FROM json_each(${JSON.stringify(wanted)})))
        ORDER BY e.image_sha256, e.id`,
  );
  return rows.map((r) => ({
    exampleId: r.id,
    imageSha256: r.image_sha256,
    imagePath: storedPath(imagesDir, r.image_sha256, r.ext),
    question: r.question,
    answer: r.answer,
    signals: {
      detail: r.detail_score,
      instability: r.instability,
      sweep: r.diverge_at ? (JSON.parse(r.diverge_at) as SweepSummary[]) : null,
      margin: r.margin,
      oodScore: r.ood_score,
      inDist: r.in_dist === null ? null : r.in_dist === 1,
      needsDetail: r.needs_detail,
      missing: JSON.parse(r.missing) as string[],
    },
  }));
}

/** Stores the pass's result for one example. Errors: `db/not-found` (no signals row: not a mined example). */
export function updateSignals(db: Database.Database, u: SignalsUpdate, now: number): boolean {
  const s = u.signals;
  return db.transaction(() => {
    const changed = run(
      db,
      sql`UPDATE example_signals SET instability = ${s.instability}, diverge_at = ${s.sweep ? JSON.stringify(s.sweep) : null},
            margin = ${s.margin}, ood_score = ${s.oodScore}, in_dist = ${s.inDist === null ? null : s.inDist ? 1 : 0},
            needs_detail = ${s.needsDetail}, missing = ${JSON.stringify(s.missing)}, updated_at = ${now}
          WHERE example_id = ${u.exampleId}`,
    ).changes;
    if (changed === 0) throw new AppFailure('db/not-found', `Example ${u.exampleId} has no signals row.`);
    if (u.detail) recordScore(db, u.exampleId, u.detail.full, u.detail.globalOnly, now);
    return true;
  })();
}
