// Dataset statistics: counts by status, answer source and tag; scored examples; mean detail score (database worker).
import type Database from 'better-sqlite3';
import type { AnswerSource, DatasetStats, ReviewStatus } from '../../electron/shared/ipc/dataset.ts';
import { ANSWER_SOURCES, REVIEW_STATUSES } from '../../electron/shared/ipc/datasetTypes.ts';
import { all, get, sql } from '../sql.ts';
import { listTags } from './tags.ts';

function countBy<K extends string>(keys: readonly K[], rows: { key: K; n: number }[]): Record<K, number> {
  const out = Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
  for (const row of rows) out[row.key] = row.n;
  return out;
}

/** Counts over the whole dataset (live examples unless stated). */
export function datasetStats(db: Database.Database): DatasetStats {
  const one = (q: ReturnType<typeof sql>): number => get<{ n: number }>(db, q)?.n ?? 0;
  const scored = get<{ n: number; mean: number | null }>(
    db,
    sql`SELECT count(*) AS n, avg(detail_score) AS mean FROM examples WHERE deleted_at IS NULL AND detail_score IS NOT NULL`,
  );
  return {
    examples: one(sql`SELECT count(*) AS n FROM examples WHERE deleted_at IS NULL`),
    deleted: one(sql`SELECT count(*) AS n FROM examples WHERE deleted_at IS NOT NULL`),
    byStatus: countBy<ReviewStatus>(
      REVIEW_STATUSES,
      all(db, sql`SELECT status AS key, count(*) AS n FROM examples WHERE deleted_at IS NULL GROUP BY status`),
    ),
    byAnswerSource: countBy<AnswerSource>(
      ANSWER_SOURCES,
      all(db, sql`SELECT answer_source AS key, count(*) AS n FROM examples WHERE deleted_at IS NULL GROUP BY answer_source`),
    ),
    tags: listTags(db),
    images: one(sql`SELECT count(*) AS n FROM images`),
    regions: one(sql`SELECT count(*) AS n FROM regions r JOIN examples e ON e.id = r.example_id WHERE e.deleted_at IS NULL`),
    turns: one(sql`SELECT coalesce(sum(turn_count), 0) AS n FROM examples WHERE deleted_at IS NULL`),
    scored: scored?.n ?? 0,
    meanDetailScore: scored?.mean ?? null,
    conversations: one(sql`SELECT count(*) AS n FROM conversations`),
    messages: one(sql`SELECT count(*) AS n FROM messages`),
  };
}
