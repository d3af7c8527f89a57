// Unit: the migration runner applies steps in order, is idempotent, and refuses a database from the future.
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { LATEST_VERSION, MIGRATIONS, migrate, schemaVersion } from '../../../database/migrations/runner.ts';
import { openDatabase } from '../../../database/connection.ts';
import { tempDir } from '../fixtures.ts';

describe('migration runner', () => {
  it('brings a new file to the latest version once, and a second run changes nothing', () => {
    const db = new Database(path.join(tempDir(), 'a.sqlite'));
    expect(migrate(db)).toEqual({ from: 0, to: LATEST_VERSION });
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(migrate(db)).toEqual({ from: LATEST_VERSION, to: LATEST_VERSION });
    db.close();
  });

  it('refuses a database written by a newer app with db/future-version and leaves it untouched', () => {
    const file = path.join(tempDir(), 'future.sqlite');
    const db = new Database(file);
    migrate(db);
    db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    db.close();
    expect(() => openDatabase(file)).toThrow(expect.objectContaining({ code: 'db/future-version' }));
    const again = new Database(file);
    expect(schemaVersion(again)).toBe(LATEST_VERSION + 1);
    again.close();
  });

  it('keeps a copy of an existing dataset before upgrading it', () => {
    const file = path.join(tempDir(), 'old.sqlite');
    const db = new Database(file);
    migrate(db, 2);
    db.prepare("INSERT INTO examples (answer_source, turn_count, created_at, updated_at) VALUES ('human', 1, 1, 1)").run();
    db.close();
    const { db: opened } = openDatabase(file);
    expect(schemaVersion(opened)).toBe(LATEST_VERSION);
    opened.close();
    const backup = new Database(`${file}.v2.bak`, { readonly: true });
    expect(schemaVersion(backup)).toBe(2);
    expect(backup.prepare('SELECT count(*) AS n FROM examples').get()).toEqual({ n: 1 });
    backup.close();
  });

  it('rolls back a failing step entirely (version and schema unchanged)', () => {
    const db = new Database(path.join(tempDir(), 'b.sqlite'));
    const broken = [
      ...MIGRATIONS,
      {
        version: MIGRATIONS.length + 1,
        name: 'broken',
        up: (d: Database.Database) => d.exec('CREATE TABLE half (x); SELECT * FROM nowhere;'),
      },
    ];
    expect(() => migrate(db, broken.length, broken)).toThrow(/no such table/);
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half'").get()).toEqual({ n: 0 });
    db.close();
  });
});
