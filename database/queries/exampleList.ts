// Search, filter, sort and paginate examples; the same filter drives exports (database worker).
import type Database from 'better-sqlite3';
import type { ExampleQuery, ExampleSummary, Page } from '../../electron/shared/ipc/dataset.ts';
import { all, get, join, list, sql, trusted, type Sql } from '../sql.ts';
import { evidenceExampleIds } from './miningReview.ts';

/** ORDER BY keys per sort; each matches an index of migration 2/3 after `deleted_at`, so pages walk an index. */
const SORT_KEYS: Record<NonNullable<ExampleQuery['sort']>, string[]> = {
  created: ['e.created_at', 'e.id'],
  updated: ['e.updated_at', 'e.id'],
  // Unscored examples (NULL) sort lowest: first ascending, last descending.
  detail: ['e.detail_score', 'e.id'],
  status: ['e.status', 'e.created_at', 'e.id'],
};

/** Turns free text into an FTS5 query: every word must occur, the last one as a prefix. Empty → undefined. */
export function ftsQuery(search: string | undefined): string | undefined {
  const words = (search ?? '').match(/[\p{L}\p{N}_]+/gu) ?? [];
  if (words.length === 0) return undefined;
  return words.map((w, i) => `"${w}"${i === words.length - 1 ? '*' : ''}`).join(' ');
}

/** A query with its evidence-coverage filter resolved to ids (coverage is computed from region geometry in code). */
type ResolvedQuery = ExampleQuery & { ids?: readonly number[] | undefined; evidenceIds?: readonly number[] };

function resolveEvidence<Q extends ExampleQuery>(db: Database.Database, query: Q): Q & { evidenceIds?: readonly number[] } {
  if (query.evidenceDropped === undefined) return query;
  return { ...query, evidenceIds: evidenceExampleIds(db, query.evidenceDropped) };
}

/** The WHERE clause (over alias `e`) for a query's filters. */
export function exampleWhere(query: ResolvedQuery): Sql {
  const parts: Sql[] = [];
  const deleted = query.deleted ?? 'live';
  if (deleted === 'live') parts.push(sql`e.deleted_at IS NULL`);
  if (deleted === 'deleted') parts.push(sql`e.deleted_at IS NOT NULL`);
  const match = ftsQuery(query.search);
  if (match) parts.push(sql`e.id IN (SELECT rowid FROM examples_fts WHERE examples_fts MATCH ${match})`);
  if (query.status?.length) parts.push(sql`e.status IN ${list(query.status)}`);
  if (query.answerSource?.length) parts.push(sql`e.answer_source IN ${list(query.answerSource)}`);
  for (const tag of query.tags ?? []) {
    parts.push(sql`EXISTS (SELECT 1 FROM example_tags et JOIN tags t ON t.id = et.tag_id WHERE et.example_id = e.id AND t.name = ${tag})`);
  }
  if (query.minDetail !== undefined) parts.push(sql`e.detail_score >= ${query.minDetail}`);
  if (query.maxDetail !== undefined) parts.push(sql`e.detail_score <= ${query.maxDetail}`);
  if (query.imageSha256) parts.push(sql`e.image_sha256 = ${query.imageSha256}`);
  if (query.sourceMessageId) parts.push(sql`e.source_message_id = ${query.sourceMessageId}`);
  if (query.ids) parts.push(sql`e.id IN ${list(query.ids)}`);
  if (query.evidenceIds) parts.push(sql`e.id IN (SELECT value FROM json_each(${JSON.stringify(query.evidenceIds)}))`);
  return parts.length ? join(parts, ' AND ') : sql`1`;
}

interface SummaryRow {
  id: number;
  external_id: string | null;
  image_sha256: string | null;
  question: string | null;
  answer: string | null;
  turn_count: number;
  status: ExampleSummary['status'];
  answer_source: ExampleSummary['answerSource'];
  tags: string | null;
  region_count: number;
  detail_score: number | null;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

const PREVIEW = 300;

const counts = new WeakMap<Database.Database, { changes: number; totals: Map<string, number> }>();

/** Runs `count` (a `SELECT count(*) AS n`), cached under `key` until this connection next changes a row (total_changes moves). */
function countMatching(db: Database.Database, count: Sql, key: Sql): number {
  const changes = get<{ n: number }>(db, sql`SELECT total_changes() AS n`)!.n;
  let cache = counts.get(db);
  if (!cache || cache.changes !== changes) {
    cache = { changes, totals: new Map() };
    counts.set(db, cache);
  }
  const text = `${key.text}\u0000${JSON.stringify(key.values)}`;
  let total = cache.totals.get(text);
  if (total === undefined) {
    total = get<{ n: number }>(db, count)?.n ?? 0;
    if (cache.totals.size > 200) cache.totals.clear();
    cache.totals.set(text, total);
  }
  return total;
}

/** Below this many full-text hits, a search is driven from the FTS index (then sorted); above, from the sort index. */
const FTS_DRIVE_LIMIT = 5000;

/**
 * The ids of one page, and the SQL that counts all matches. A selective search starts from its FTS hits (cost grows
 * with the hits); a broad one walks the sort index and checks membership (cost grows with the page's depth).
 */
function pageQuery(
  db: Database.Database,
  query: ResolvedQuery,
  orderBy: Sql,
  limit: number,
  offset: number,
): { ids: Sql; count: Sql; cacheKey: Sql } {
  const match = ftsQuery(query.search);
  if (match) {
    // The FTS query runs once: its hits drive the page and the count when they are few.
    const hits = all<{ id: number }>(
      db,
      sql`SELECT rowid AS id FROM examples_fts WHERE examples_fts MATCH ${match} LIMIT ${FTS_DRIVE_LIMIT + 1}`,
    );
    if (hits.length <= FTS_DRIVE_LIMIT) {
      const rest = exampleWhere({ ...query, search: undefined });
      const from = sql`json_each(${JSON.stringify(hits.map((h) => h.id))}) hit CROSS JOIN examples e ON e.id = hit.value WHERE ${rest}`;
      return {
        ids: sql`SELECT e.id FROM ${from} ORDER BY ${orderBy} LIMIT ${limit} OFFSET ${offset}`,
        count: sql`SELECT count(*) AS n FROM ${from}`,
        cacheKey: from,
      };
    }
  }
  const where = exampleWhere(query);
  return {
    ids: sql`SELECT e.id FROM examples e WHERE ${where} ORDER BY ${orderBy} LIMIT ${limit} OFFSET ${offset}`,
    count: sql`SELECT count(*) AS n FROM examples e WHERE ${where}`,
    cacheKey: where,
  };
}

/** One page of example summaries plus the total matching count. */
export function listExamples(db: Database.Database, filters: ExampleQuery): Page<ExampleSummary> {
  const query = resolveEvidence(db, filters);
  const offset = query.offset ?? 0;
  const limit = query.limit ?? 50;
  const direction = query.order === 'asc' ? 'ASC' : 'DESC';
  const orderBy = trusted(SORT_KEYS[query.sort ?? 'created'].map((k) => `${k} ${direction}`).join(', '));
  const page = pageQuery(db, query, orderBy, limit, offset);
  // The page query selects ids only, so skipping `offset` rows walks an index without reading table rows.
  const rows = all<SummaryRow>(
    db,
    sql`SELECT e.id, e.external_id, e.image_sha256, e.turn_count, e.status, e.answer_source, e.detail_score, e.created_at, e.updated_at, e.deleted_at,
          substr(t.question, 1, ${PREVIEW}) AS question, substr(t.answer, 1, ${PREVIEW}) AS answer,
          (SELECT group_concat(tg.name, char(31)) FROM example_tags et JOIN tags tg ON tg.id = et.tag_id WHERE et.example_id = e.id) AS tags,
          (SELECT count(*) FROM regions r WHERE r.example_id = e.id) AS region_count
        FROM (${page.ids}) page
        JOIN examples e ON e.id = page.id
        LEFT JOIN turns t ON t.example_id = e.id AND t.position = 0
        ORDER BY ${orderBy}`,
  );
  return { items: rows.map(toSummary), total: countMatching(db, page.count, page.cacheKey), offset, limit };
}

function toSummary(row: SummaryRow): ExampleSummary {
  return {
    id: row.id,
    externalId: row.external_id,
    imageSha256: row.image_sha256,
    question: row.question ?? '',
    answer: row.answer ?? '',
    turnCount: row.turn_count,
    status: row.status,
    answerSource: row.answer_source,
    tags: row.tags ? row.tags.split('\u001f').sort() : [],
    regionCount: row.region_count,
    detailScore: row.detail_score,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
  };
}

/** Ids of every example matching a filter, in id order (exports and bulk jobs). */
export function matchingIds(db: Database.Database, query: ExampleQuery & { ids?: readonly number[] | undefined }): number[] {
  const where = exampleWhere(resolveEvidence(db, query));
  return all<{ id: number }>(db, sql`SELECT e.id FROM examples e WHERE ${where} ORDER BY e.id`).map((r) => r.id);
}
