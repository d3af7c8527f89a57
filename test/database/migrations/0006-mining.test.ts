// Unit: migration 5 → 6 adds the mining tables to a populated file: existing examples are untouched and have no
// signals; the pair key (job, image, question) refuses a second row; an embedding blob must hold dim float32 values.
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, schemaVersion } from '../../../database/migrations/runner.ts';
import { tempDir } from '../fixtures.ts';

describe('migration 0006-mining', () => {
  it('moves a populated version-5 file to 6 with the mining tables and their keys', () => {
    const db = new Database(path.join(tempDir(), 'm6.sqlite'));
    migrate(db, 5);
    const sha = 'a'.repeat(64);
    db.prepare(
      "INSERT INTO images (sha256, width, height, format, ext, bytes, phash, created_at) VALUES (?, 8, 8, 'png', 'png', 1, ?, 0)",
    ).run(sha, '0'.repeat(16));
    db.prepare("INSERT INTO examples (image_sha256, answer_source, turn_count, created_at, updated_at) VALUES (?, 'model', 1, 1, 1)").run(
      sha,
    );
    migrate(db, 6);
    expect(schemaVersion(db)).toBe(6);
    expect(db.prepare('SELECT count(*) AS n FROM examples').get()).toEqual({ n: 1 });
    expect(db.prepare('SELECT count(*) AS n FROM example_signals').get()).toEqual({ n: 0 });
    db.prepare(
      "INSERT INTO mining_jobs (folder, model_dir, settings, state, created_at, updated_at) VALUES ('/f', '/m', '{}', 'ready', 1, 1)",
    ).run();
    const pair = db.prepare("INSERT INTO mining_pairs (job_id, image_sha256, question, file) VALUES (1, ?, 'Q?', 'a.png')");
    pair.run(sha);
    expect(() => pair.run(sha)).toThrow(/UNIQUE|PRIMARY KEY/);
    db.prepare('UPDATE mining_pairs SET state = ?, example_id = 1').run('done');
    expect(() =>
      db
        .prepare("INSERT INTO mining_pairs (job_id, image_sha256, question, file, example_id) VALUES (1, ?, 'Other?', 'a.png', 1)")
        .run(sha),
    ).toThrow(/UNIQUE/);
    const embed = db.prepare("INSERT INTO image_embeddings (image_sha256, model_key, dim, vector, created_at) VALUES (?, 'm', ?, ?, 1)");
    expect(() => embed.run(sha, 4, Buffer.alloc(12))).toThrow(/CHECK/);
    embed.run(sha, 4, Buffer.alloc(16));
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'example_signals_by_need'").get()).toEqual({ n: 1 });
    db.close();
  });
});
