// Unit: migration 0 → 1 creates images, conversations, messages and attachments with their constraints.
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, schemaVersion } from '../../../database/migrations/runner.ts';
import { tempDir } from '../fixtures.ts';

describe('migration 0001-images-conversations', () => {
  it('moves an empty file from 0 to 1 with working tables and constraints', () => {
    const db = new Database(path.join(tempDir(), 'm1.sqlite'));
    db.pragma('foreign_keys = ON');
    migrate(db, 1);
    expect(schemaVersion(db)).toBe(1);
    const sha = 'a'.repeat(64);
    db.prepare("INSERT INTO images VALUES (?, 10, 10, 'png', 'png', 5, '0123456789abcdef', 'x.png', 1)").run(sha);
    db.prepare("INSERT INTO conversations (title, created_at, updated_at) VALUES ('t', 1, 1)").run();
    db.prepare(
      "INSERT INTO messages (conversation_id, role, text, perf, created_at) VALUES (1, 'assistant', 'hi', '{\"ttft\":1}', 1)",
    ).run();
    db.prepare('INSERT INTO message_images VALUES (1, 0, ?)').run(sha);
    expect(() => db.prepare("INSERT INTO messages (conversation_id, role, text, created_at) VALUES (1, 'robot', 'x', 1)").run()).toThrow(
      /CHECK/,
    );
    expect(() =>
      db.prepare("INSERT INTO messages (conversation_id, role, text, perf, created_at) VALUES (1, 'user', 'x', 'not json', 1)").run(),
    ).toThrow(/CHECK/);
    expect(() => db.prepare('INSERT INTO message_images VALUES (1, 1, ?)').run('b'.repeat(64))).toThrow(/FOREIGN KEY/);
    db.prepare('DELETE FROM conversations WHERE id = 1').run();
    expect(db.prepare('SELECT count(*) AS n FROM message_images').get()).toEqual({ n: 0 });
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'examples'").get()).toEqual({ n: 0 });
    db.close();
  });
});
