// Queries on examples and their turns, kept consistent with the FTS index in one transaction (database worker).
import type Database from 'better-sqlite3';
import type { AnswerSource, Example, ExamplePatch, Provenance, ReviewStatus, Turn } from '../../electron/shared/ipc/dataset.ts';
import { AppFailure } from '../../electron/shared/errors.ts';
import { all, get, list, run, sql } from '../sql.ts';
import { getImageRow, toImageRecord } from './images.ts';
import { listRegions } from './regions.ts';
import { ensureTag, tagsOf } from './tags.ts';

/** Everything needed to insert one example. */
export interface ExampleInput {
  externalId: string | null;
  imageSha256: string | null;
  system: string | null;
  sourceMessageId: number | null;
  answerSource: AnswerSource;
  status: ReviewStatus;
  notes: string;
  provenance: Provenance;
  turns: Turn[];
  tags: string[];
}

/** A row of `examples`. */
export interface ExampleRow {
  id: number;
  external_id: string | null;
  image_sha256: string | null;
  system: string | null;
  source_message_id: number | null;
  answer_source: AnswerSource;
  status: ReviewStatus;
  notes: string;
  provenance: string;
  turn_count: number;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
  detail_full: number | null;
  detail_global: number | null;
  detail_score: number | null;
}

function writeTurns(db: Database.Database, id: number, turns: readonly Turn[]): void {
  run(db, sql`DELETE FROM turns WHERE example_id = ${id}`);
  turns.forEach((t, position) =>
    run(db, sql`INSERT INTO turns (example_id, position, question, answer) VALUES (${id}, ${position}, ${t.question}, ${t.answer})`),
  );
}

/** The text the FTS index holds for an example: system prompt, notes, every question and answer. */
export function ftsBody(system: string | null, notes: string, turns: readonly Turn[]): string {
  return [system ?? '', notes, ...turns.flatMap((t) => [t.question, t.answer])].join(' ');
}

/** Rebuilds the FTS row of an example from its turns, notes and system prompt. */
export function refreshFts(db: Database.Database, id: number): void {
  const row = get<{ system: string | null; notes: string }>(db, sql`SELECT system, notes FROM examples WHERE id = ${id}`);
  run(db, sql`DELETE FROM examples_fts WHERE rowid = ${id}`);
  if (row) run(db, sql`INSERT INTO examples_fts (rowid, body) VALUES (${id}, ${ftsBody(row.system, row.notes, turnsOf(db, id))})`);
}

/**
 * Inserts an example with its turns, tags and FTS row atomically; returns its id. `tagIds` caches tag ids across a
 * batch (the caller's transaction makes the cache safe).
 */
export function insertExample(db: Database.Database, input: ExampleInput, now: number, tagIds: Map<string, number> = new Map()): number {
  if (input.turns.length === 0) throw new AppFailure('dataset/invalid', 'An example needs at least one turn.');
  return db.transaction(() => {
    const { lastInsertRowid: id } = run(
      db,
      sql`INSERT INTO examples (external_id, image_sha256, system, source_message_id, answer_source, status, notes, provenance, turn_count, created_at, updated_at)
          VALUES (${input.externalId}, ${input.imageSha256}, ${input.system}, ${input.sourceMessageId}, ${input.answerSource}, ${input.status}, ${input.notes},
                  ${JSON.stringify(input.provenance)}, ${input.turns.length}, ${now}, ${now})`,
    );
    input.turns.forEach((t, position) =>
      run(db, sql`INSERT INTO turns (example_id, position, question, answer) VALUES (${id}, ${position}, ${t.question}, ${t.answer})`),
    );
    for (const name of new Set(input.tags)) {
      let tagId = tagIds.get(name);
      if (tagId === undefined) {
        tagId = ensureTag(db, name);
        tagIds.set(name, tagId);
      }
      run(db, sql`INSERT OR IGNORE INTO example_tags (example_id, tag_id) VALUES (${id}, ${tagId})`);
    }
    run(db, sql`INSERT INTO examples_fts (rowid, body) VALUES (${id}, ${ftsBody(input.system, input.notes, input.turns)})`);
    return id;
  })();
}

/** The raw row of an example. Throws `db/not-found`. */
export function getExampleRow(db: Database.Database, id: number): ExampleRow {
  const row = get<ExampleRow>(db, sql`SELECT * FROM examples WHERE id = ${id}`);
  if (!row) throw new AppFailure('db/not-found', `No example ${id}.`);
  return row;
}

/** Turns of an example in order. */
export function turnsOf(db: Database.Database, id: number): Turn[] {
  return all<Turn>(db, sql`SELECT question, answer FROM turns WHERE example_id = ${id} ORDER BY position`);
}

/** An example with image, turns, tags and regions. Throws `db/not-found`. */
export function getExample(db: Database.Database, id: number, imagesDir: string): Example {
  const row = getExampleRow(db, id);
  const image = row.image_sha256 ? getImageRow(db, row.image_sha256) : undefined;
  return {
    id: row.id,
    externalId: row.external_id,
    image: image ? toImageRecord(image, imagesDir) : null,
    system: row.system,
    turns: turnsOf(db, id),
    sourceMessageId: row.source_message_id,
    provenance: JSON.parse(row.provenance) as Provenance,
    answerSource: row.answer_source,
    status: row.status,
    notes: row.notes,
    tags: tagsOf(db, id),
    regions: listRegions(db, id),
    detailScore: row.detail_score,
    detailFull: row.detail_full,
    detailGlobalOnly: row.detail_global,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
  };
}

function sameTurns(a: readonly Turn[], b: readonly Turn[]): boolean {
  return a.length === b.length && a.every((t, i) => t.question === b[i]?.question && t.answer === b[i]?.answer);
}

/** Applies an edit; changing the turns of a model-written example marks it human-edited. Throws `db/not-found`. */
export function updateExample(db: Database.Database, id: number, patch: ExamplePatch, now: number): void {
  db.transaction(() => {
    const row = getExampleRow(db, id);
    let answerSource = patch.answerSource ?? row.answer_source;
    if (patch.turns && !sameTurns(patch.turns, turnsOf(db, id))) {
      writeTurns(db, id, patch.turns);
      if (patch.answerSource === undefined && row.answer_source === 'model') answerSource = 'human-edited';
    }
    const system = patch.system === undefined ? row.system : patch.system;
    run(
      db,
      sql`UPDATE examples SET system = ${system}, notes = ${patch.notes ?? row.notes}, status = ${patch.status ?? row.status},
          answer_source = ${answerSource}, turn_count = ${patch.turns?.length ?? row.turn_count}, updated_at = ${now} WHERE id = ${id}`,
    );
    refreshFts(db, id);
  })();
}

/** Soft-deletes (`deleted`) or restores examples. Returns how many changed. */
export function setDeleted(db: Database.Database, ids: readonly number[], deleted: boolean, now: number): number {
  const stamp = deleted ? now : null;
  const condition = deleted ? sql`deleted_at IS NULL` : sql`deleted_at IS NOT NULL`;
  return run(db, sql`UPDATE examples SET deleted_at = ${stamp}, updated_at = ${now} WHERE ${condition} AND id IN ${list(ids)}`).changes;
}

/** Sets the review status of examples. Returns how many changed. */
export function setStatus(db: Database.Database, ids: readonly number[], status: ReviewStatus, now: number): number {
  return run(db, sql`UPDATE examples SET status = ${status}, updated_at = ${now} WHERE status <> ${status} AND id IN ${list(ids)}`).changes;
}

/** Marks examples touched (after tag changes). */
export function touch(db: Database.Database, ids: readonly number[], now: number): void {
  run(db, sql`UPDATE examples SET updated_at = ${now} WHERE id IN ${list(ids)}`);
}
