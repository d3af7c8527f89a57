// Search, filter, sort and paginate examples; the same filter drives exports (database worker).
import type Database from 'better-sqlite3';
import type { ExampleQuery, ExampleSummary, Page } from '../../electron/shared/ipc/dataset.ts';
import { all, get, join, list, sql, trusted, type Sql } from '../sql.ts';

const SORT_COLUMNS: Record<NonNullable<ExampleQuery['sort']>, string> = {
  created: 'e.created_at',
  updated: 'e.updated_at',
  detail: 'e.detail_score',
  status: 'e.status',
};

/** Turns free text into an FTS5 query: every word must occur, the last one as a prefix. Empty → undefined. */
export function ftsQuery(search: string | undefined): string | undefined {
  const words = (search ?? '').match(/[\p{L}\p{N}_]+/gu) ?? [];
  if (words.length === 0) return undefined;
  return words.map((w, i) => `"${w}"${i === words.length - 1 ? '*' : ''}`).join(' ');
}

/** The WHERE clause (over alias `e`) for a query's filters. */
export function exampleWhere(query: ExampleQuery & { ids?: readonly number[] | undefined }): Sql {
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

/** One page of example summaries plus the total matching count. */
export function listExamples(db: Database.Database, query: ExampleQuery): Page<ExampleSummary> {
  const where = exampleWhere(query);
  const offset = query.offset ?? 0;
  const limit = query.limit ?? 50;
  const column = SORT_COLUMNS[query.sort ?? 'created'];
  const direction = query.order === 'asc' ? 'ASC' : 'DESC';
  const nulls = query.sort === 'detail' ? ' NULLS LAST' : '';
  const orderBy = trusted(`${column} ${direction}${nulls}, e.id ${direction}`);
  const rows = all<SummaryRow>(
    db,
    sql`SELECT e.id, e.external_id, e.image_sha256, e.turn_count, e.status, e.answer_source, e.detail_score, e.created_at, e.updated_at, e.deleted_at,
          substr(t.question, 1, ${PREVIEW}) AS question, substr(t.answer, 1, ${PREVIEW}) AS answer,
          (SELECT group_concat(tg.name, char(31)) FROM example_tags et JOIN tags tg ON tg.id = et.tag_id WHERE et.example_id = e.id) AS tags,
          (SELECT count(*) FROM regions r WHERE r.example_id = e.id) AS region_count
        FROM (SELECT e.* FROM examples e WHERE ${where} ORDER BY ${orderBy} LIMIT ${limit} OFFSET ${offset}) e
        LEFT JOIN turns t ON t.example_id = e.id AND t.position = 0
        ORDER BY ${orderBy}`,
  );
  const total = get<{ n: number }>(db, sql`SELECT count(*) AS n FROM examples e WHERE ${where}`)?.n ?? 0;
  return { items: rows.map(toSummary), total, offset, limit };
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
  return all<{ id: number }>(db, sql`SELECT e.id FROM examples e WHERE ${exampleWhere(query)} ORDER BY e.id`).map((r) => r.id);
}
