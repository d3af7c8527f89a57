// Detail-score bookkeeping: which examples still need a score, and storing one as it completes (database worker).
import type { ScoreCandidate } from '../../electron/shared/ipc/datasetTypes.ts';
import type Database from 'better-sqlite3';
import { storedPath } from '../imageStore.ts';
import { all, list, run, sql, trusted } from '../sql.ts';
import { turnsOf } from './examples.ts';

/** Live examples with an image that need a score (all of `ids`, or every unscored one unless `rescore`). */
export function scoreCandidates(
  db: Database.Database,
  imagesDir: string,
  ids: readonly number[] | undefined,
  rescore: boolean,
): ScoreCandidate[] {
  const byIds = ids ? sql`AND e.id IN ${list(ids)}` : trusted('');
  const unscored = rescore ? trusted('') : sql`AND e.detail_score IS NULL`;
  const rows = all<{ id: number; sha256: string; ext: string }>(
    db,
    sql`SELECT e.id, i.sha256, i.ext FROM examples e JOIN images i ON i.sha256 = e.image_sha256
        WHERE e.deleted_at IS NULL ${byIds} ${unscored} ORDER BY e.id`,
  );
  return rows.map((r) => ({ id: r.id, imagePath: storedPath(imagesDir, r.sha256, r.ext), turns: turnsOf(db, r.id) }));
}

/** Stores one example's score (full minus global-only). Returns false when the example is gone. */
export function recordScore(db: Database.Database, id: number, full: number, globalOnly: number, now: number): boolean {
  const score = full - globalOnly;
  return (
    run(
      db,
      sql`UPDATE examples SET detail_full = ${full}, detail_global = ${globalOnly}, detail_score = ${score}, detail_scored_at = ${now} WHERE id = ${id}`,
    ).changes > 0
  );
}

/** Live examples with an image and no score yet. */
export function unscoredCount(db: Database.Database): number {
  return (
    all<{ n: number }>(
      db,
      sql`SELECT count(*) AS n FROM examples WHERE deleted_at IS NULL AND image_sha256 IS NOT NULL AND detail_score IS NULL`,
    )[0]?.n ?? 0
  );
}
