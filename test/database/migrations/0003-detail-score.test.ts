// Unit: migration 2 → 3 adds the detail-score columns to existing examples (null until scored) and an index.
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, schemaVersion } from '../../../database/migrations/runner.ts';
import { tempDir } from '../fixtures.ts';

describe('migration 0003-detail-score', () => {
  it('moves a populated version-2 file to 3; old examples are unscored and sortable', () => {
    const db = new Database(path.join(tempDir(), 'm3.sqlite'));
    migrate(db, 2);
    const insert = db.prepare("INSERT INTO examples (answer_source, turn_count, created_at, updated_at) VALUES ('human', 1, ?, ?)");
    for (let i = 1; i <= 3; i++) insert.run(i, i);
    migrate(db, 3);
    expect(schemaVersion(db)).toBe(3);
    expect(db.prepare('SELECT count(*) AS n FROM examples WHERE detail_score IS NULL').get()).toEqual({ n: 3 });
    db.prepare('UPDATE examples SET detail_score = id * 0.5 WHERE id > 1').run();
    const order = db.prepare('SELECT id FROM examples ORDER BY detail_score DESC NULLS LAST').all();
    expect(order).toEqual([{ id: 3 }, { id: 2 }, { id: 1 }]);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'examples_live_detail'").get()).toEqual({ n: 1 });
    db.close();
  });
});
