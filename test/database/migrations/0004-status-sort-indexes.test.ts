// Unit: migration 3 → 4 keeps the rows and lets a status-filtered, detail-sorted page seek an index by status.
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, schemaVersion } from '../../../database/migrations/runner.ts';
import { tempDir } from '../fixtures.ts';

const PAGE = "SELECT id FROM examples WHERE deleted_at IS NULL AND status = 'accepted' ORDER BY detail_score DESC, id DESC LIMIT 10";

function plan(db: Database.Database): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${PAGE}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
}

describe('migration 0004-status-sort-indexes', () => {
  it('moves a populated version-3 file to 4; the filtered page seeks by status instead of reading rows', () => {
    const db = new Database(path.join(tempDir(), 'm4.sqlite'));
    migrate(db, 3);
    const insert = db.prepare(
      "INSERT INTO examples (answer_source, status, turn_count, created_at, updated_at, detail_score) VALUES ('human', ?, 1, ?, ?, ?)",
    );
    for (let i = 0; i < 40; i++) insert.run(i % 2 ? 'accepted' : 'draft', i, i, (i * 7) % 11);
    const before = db.prepare(PAGE).all();
    // Before: the detail index gives the order, and every skipped row is read from the table to check its status.
    expect(plan(db)).toContain('examples_live_detail (deleted_at=?)');
    migrate(db, 4);
    expect(schemaVersion(db)).toBe(4);
    expect(plan(db)).toContain('examples_live_status_detail (deleted_at=? AND status=?)');
    expect(plan(db)).not.toContain('TEMP B-TREE');
    expect(db.prepare(PAGE).all()).toEqual(before);
    db.close();
  });
});
