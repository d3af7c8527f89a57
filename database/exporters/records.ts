// Loads examples as export records: turns, image, regions, tags and provenance in a few queries per chunk (database worker).
import type Database from 'better-sqlite3';
import type { AnswerSource, Provenance, Region, ReviewStatus, Turn } from '../../electron/shared/ipc/dataset.ts';
import { storedPath } from '../imageStore.ts';
import { all, list, sql } from '../sql.ts';

/** One example as the exporters see it. */
export interface ExportRecord {
  /** The record id written to files: the imported id, or `ex-<rowid>`. */
  id: string;
  exampleId: number;
  image: { sha256: string; ext: string; width: number; height: number; source: string; bytes: number } | null;
  system: string | null;
  turns: Turn[];
  regions: Omit<Region, 'exampleId' | 'createdAt'>[];
  tags: string[];
  status: ReviewStatus;
  answerSource: AnswerSource;
  notes: string;
  provenance: Provenance;
  detailScore: number | null;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  id: number;
  external_id: string | null;
  system: string | null;
  status: ReviewStatus;
  answer_source: AnswerSource;
  notes: string;
  provenance: string;
  detail_score: number | null;
  created_at: number;
  updated_at: number;
  sha256: string | null;
  ext: string | null;
  width: number | null;
  height: number | null;
  bytes: number | null;
}

function groupBy<T extends { example_id: number }>(rows: T[]): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const row of rows) out.set(row.example_id, [...(out.get(row.example_id) ?? []), row]);
  return out;
}

interface Related {
  turns: Map<number, (Turn & { example_id: number })[]>;
  regions: Map<number, (Region & { example_id: number })[]>;
  tags: Map<number, { example_id: number; name: string }[]>;
}

/** Turns, regions and tags of the examples `ids`, grouped by example. */
function loadRelated(db: Database.Database, ids: readonly number[]): Related {
  return {
    turns: groupBy(
      all<Turn & { example_id: number }>(
        db,
        sql`SELECT example_id, question, answer FROM turns WHERE example_id IN ${list(ids)} ORDER BY example_id, position`,
      ),
    ),
    regions: groupBy(
      all<Region & { example_id: number }>(
        db,
        sql`SELECT example_id, id, x1, y1, x2, y2, note, tokens FROM regions WHERE example_id IN ${list(ids)} ORDER BY id`,
      ),
    ),
    tags: groupBy(
      all<{ example_id: number; name: string }>(
        db,
        sql`SELECT et.example_id, t.name FROM example_tags et JOIN tags t ON t.id = et.tag_id WHERE et.example_id IN ${list(ids)} ORDER BY t.name`,
      ),
    ),
  };
}

/** One example row and its related rows as an export record. */
function toRecord(r: Row, related: Related, imagesDir: string): ExportRecord {
  const image =
    r.sha256 && r.ext && r.width && r.height && r.bytes
      ? { sha256: r.sha256, ext: r.ext, width: r.width, height: r.height, bytes: r.bytes, source: storedPath(imagesDir, r.sha256, r.ext) }
      : null;
  return {
    id: r.external_id ?? `ex-${r.id}`,
    exampleId: r.id,
    image,
    system: r.system,
    turns: (related.turns.get(r.id) ?? []).map((t) => ({ question: t.question, answer: t.answer })),
    regions: (related.regions.get(r.id) ?? []).map((g) => ({
      id: g.id,
      x1: g.x1,
      y1: g.y1,
      x2: g.x2,
      y2: g.y2,
      note: g.note,
      tokens: g.tokens ? (JSON.parse(g.tokens as unknown as string) as number[]) : null,
    })),
    tags: (related.tags.get(r.id) ?? []).map((t) => t.name),
    status: r.status,
    answerSource: r.answer_source,
    notes: r.notes,
    provenance: JSON.parse(r.provenance) as Provenance,
    detailScore: r.detail_score,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Loads the records of `ids` (one chunk), in the order given. */
export function loadRecords(db: Database.Database, imagesDir: string, ids: readonly number[]): ExportRecord[] {
  const rows = all<Row>(
    db,
    sql`SELECT e.id, e.external_id, e.system, e.status, e.answer_source, e.notes, e.provenance, e.detail_score, e.created_at, e.updated_at,
          i.sha256, i.ext, i.width, i.height, i.bytes
        FROM examples e LEFT JOIN images i ON i.sha256 = e.image_sha256 WHERE e.id IN ${list(ids)}`,
  );
  const related = loadRelated(db, ids);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => {
    const r = byId.get(id);
    return r ? [toRecord(r, related, imagesDir)] : [];
  });
}
