// Unit: migration 1 → 2 keeps version-1 data and adds examples, turns, tags, regions and the FTS index.
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, schemaVersion } from '../../../database/migrations/runner.ts';
import { tempDir } from '../fixtures.ts';

describe('migration 0002-examples-curation', () => {
  it('moves a populated version-1 file to 2, keeping its rows', () => {
    const db = new Database(path.join(tempDir(), 'm2.sqlite'));
    db.pragma('foreign_keys = ON');
    migrate(db, 1);
    const sha = 'c'.repeat(64);
    db.prepare("INSERT INTO images VALUES (?, 10, 10, 'png', 'png', 5, '0123456789abcdef', NULL, 1)").run(sha);
    db.prepare("INSERT INTO conversations (title, created_at, updated_at) VALUES ('kept', 1, 1)").run();
    db.prepare("INSERT INTO messages (conversation_id, role, text, created_at) VALUES (1, 'assistant', 'answer', 1)").run();
    migrate(db, 2);
    expect(schemaVersion(db)).toBe(2);
    expect(db.prepare('SELECT title FROM conversations').get()).toEqual({ title: 'kept' });
    db.prepare(
      "INSERT INTO examples (image_sha256, source_message_id, answer_source, turn_count, created_at, updated_at) VALUES (?, 1, 'model', 1, 1, 1)",
    ).run(sha);
    db.prepare("INSERT INTO turns VALUES (1, 0, 'what is it', 'a dial')").run();
    db.prepare("INSERT INTO examples_fts (rowid, body) VALUES (1, 'what is it a dial')").run();
    expect(db.prepare("SELECT rowid FROM examples_fts WHERE examples_fts MATCH 'dial'").all()).toEqual([{ rowid: 1 }]);
    expect(() => db.prepare('INSERT INTO regions (example_id, x1, y1, x2, y2, created_at) VALUES (1, 5, 5, 2, 9, 1)').run()).toThrow(
      /CHECK/,
    );
    expect(() =>
      db
        .prepare("INSERT INTO examples (answer_source, status, turn_count, created_at, updated_at) VALUES ('model', 'maybe', 1, 1, 1)")
        .run(),
    ).toThrow(/CHECK/);
    db.prepare('DELETE FROM messages WHERE id = 1').run();
    expect(db.prepare('SELECT source_message_id FROM examples').get()).toEqual({ source_message_id: null });
    expect(db.prepare("SELECT count(*) AS n FROM pragma_table_info('examples') WHERE name = 'detail_score'").get()).toEqual({ n: 0 });
    db.close();
  });
});
