// Queries on regions: boxes in original-image pixels with a note and optional local-token indices (database worker).
import type Database from 'better-sqlite3';
import type { NewRegion, Region } from '../../electron/shared/ipc/dataset.ts';
import { AppFailure } from '../../electron/shared/errors.ts';
import { all, get, run, sql } from '../sql.ts';

interface RegionRow {
  id: number;
  example_id: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  note: string;
  tokens: string | null;
  created_at: number;
}

function toRegion(row: RegionRow): Region {
  return {
    id: row.id,
    exampleId: row.example_id,
    x1: row.x1,
    y1: row.y1,
    x2: row.x2,
    y2: row.y2,
    note: row.note,
    tokens: row.tokens === null ? null : (JSON.parse(row.tokens) as number[]),
    createdAt: row.created_at,
  };
}

/** Throws `dataset/invalid` unless the box is non-empty and inside a width×height image. */
export function checkBox(box: { x1: number; y1: number; x2: number; y2: number }, width: number | null, height: number | null): void {
  if (!(box.x2 > box.x1 && box.y2 > box.y1)) throw new AppFailure('dataset/invalid', 'A region needs x2 > x1 and y2 > y1.');
  if (box.x1 < 0 || box.y1 < 0) throw new AppFailure('dataset/invalid', 'A region cannot start left of or above the image.');
  if (width === null || height === null) throw new AppFailure('dataset/invalid', 'Regions need an example with an image.');
  if (box.x2 > width || box.y2 > height) throw new AppFailure('dataset/invalid', `The region ends outside the ${width}×${height} image.`);
}

function imageSize(db: Database.Database, exampleId: number): { width: number | null; height: number | null } {
  const row = get<{ width: number | null; height: number | null }>(
    db,
    sql`SELECT i.width, i.height FROM examples e LEFT JOIN images i ON i.sha256 = e.image_sha256 WHERE e.id = ${exampleId}`,
  );
  if (!row) throw new AppFailure('db/not-found', `No example ${exampleId}.`);
  return row;
}

/** Adds a region after checking it against the image. Throws `db/not-found`, `dataset/invalid`. */
export function addRegion(db: Database.Database, exampleId: number, region: NewRegion, now: number): Region {
  const size = imageSize(db, exampleId);
  checkBox(region, size.width, size.height);
  const tokens = region.tokens ? JSON.stringify(region.tokens) : null;
  const { lastInsertRowid } = run(
    db,
    sql`INSERT INTO regions (example_id, x1, y1, x2, y2, note, tokens, created_at)
        VALUES (${exampleId}, ${region.x1}, ${region.y1}, ${region.x2}, ${region.y2}, ${region.note ?? ''}, ${tokens}, ${now})`,
  );
  return getRegion(db, lastInsertRowid);
}

/** A region by id. Throws `db/not-found`. */
export function getRegion(db: Database.Database, id: number): Region {
  const row = get<RegionRow>(db, sql`SELECT * FROM regions WHERE id = ${id}`);
  if (!row) throw new AppFailure('db/not-found', `No region ${id}.`);
  return toRegion(row);
}

/** Changes a region's box, note or tokens. Throws `db/not-found`, `dataset/invalid`. */
export function updateRegion(db: Database.Database, id: number, patch: Partial<NewRegion>): Region {
  const current = getRegion(db, id);
  const next = {
    ...current,
    ...patch,
    note: patch.note ?? current.note,
    tokens: patch.tokens === undefined ? current.tokens : patch.tokens,
  };
  const size = imageSize(db, current.exampleId);
  checkBox(next, size.width, size.height);
  run(
    db,
    sql`UPDATE regions SET x1 = ${next.x1}, y1 = ${next.y1}, x2 = ${next.x2}, y2 = ${next.y2}, note = ${next.note},
        tokens = ${next.tokens ? JSON.stringify(next.tokens) : null} WHERE id = ${id}`,
  );
  return getRegion(db, id);
}

/** Deletes a region; false when it did not exist. */
export function deleteRegion(db: Database.Database, id: number): boolean {
  return run(db, sql`DELETE FROM regions WHERE id = ${id}`).changes > 0;
}

/** Regions of an example in creation order. */
export function listRegions(db: Database.Database, exampleId: number): Region[] {
  return all<RegionRow>(db, sql`SELECT * FROM regions WHERE example_id = ${exampleId} ORDER BY id`).map(toRegion);
}
