// Unit: opening a dataset — pragmas, a damaged file kept aside and opened read-only, a non-database refused, disk full.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../database/connection.ts';
import { LATEST_VERSION } from '../../database/migrations/runner.ts';
import { classify } from '../../database/errors.ts';
import { openTestDataset, tempDir } from './fixtures.ts';

function addExamples(t: ReturnType<typeof openTestDataset>, n: number, text = 'x'): Promise<number[]> {
  return t.call(
    'createExamples',
    Array.from({ length: n }, (_, i) => ({ imageSha256: null, turns: [{ question: `q${i} ${text}`, answer: `a${i} ${text}` }] })),
  );
}

describe('openDatabase', () => {
  it('uses WAL, synchronous=NORMAL and foreign keys', () => {
    const t = openTestDataset();
    expect(t.ctx.health).toMatchObject({
      status: 'ok',
      readOnly: false,
      journalMode: 'wal',
      synchronous: 'normal',
      schemaVersion: LATEST_VERSION,
    });
    expect(t.ctx.db.pragma('foreign_keys', { simple: true })).toBe(1);
    t.close();
  });

  it('keeps a backup of a file that fails integrity_check and opens it read-only', async () => {
    const t = openTestDataset();
    await addExamples(t, 20);
    const file = path.join(t.dir, 'dataset.sqlite');
    // Point an index's definition at another column: the stored index no longer matches its table.
    t.ctx.db.unsafeMode(true);
    t.ctx.db.pragma('writable_schema = ON');
    t.ctx.db
      .prepare(
        "UPDATE sqlite_schema SET sql = 'CREATE INDEX examples_live_created ON examples(notes, turn_count)' WHERE name = 'examples_live_created'",
      )
      .run();
    t.close();
    const { db, health } = openDatabase(file);
    expect(health.status).toBe('damaged');
    expect(health.readOnly).toBe(true);
    expect(health.problems.length).toBeGreaterThan(0);
    expect(fs.existsSync(health.backupPath!)).toBe(true);
    expect(db.prepare('SELECT count(*) AS n FROM examples').get()).toEqual({ n: 20 });
    let thrown: unknown;
    try {
      db.prepare("UPDATE examples SET notes = 'x'").run();
    } catch (e) {
      thrown = classify(e);
    }
    expect(thrown).toMatchObject({ code: 'db/read-only' });
    db.close();
  });

  it('refuses a file that is not a database with db/corrupt and leaves it as it was', () => {
    const file = path.join(tempDir(), 'dataset.sqlite');
    const garbage = Buffer.alloc(8192, 0x5a);
    fs.writeFileSync(file, garbage);
    expect(() => openDatabase(file)).toThrow(expect.objectContaining({ code: 'db/corrupt' }));
    expect(fs.readFileSync(file).equals(garbage)).toBe(true);
  });

  it('reports a full disk (max_page_count on the real file) as db/disk-full, keeping every earlier commit', async () => {
    const t = openTestDataset();
    const committed = await addExamples(t, 50);
    const pages = Number(t.ctx.db.pragma('page_count', { simple: true }));
    t.ctx.db.pragma(`max_page_count = ${pages + 4}`);
    let failure: unknown;
    const more: number[] = [];
    try {
      for (let i = 0; i < 200; i++) more.push(...(await addExamples(t, 10, 'y'.repeat(2000))));
    } catch (thrown) {
      failure = classify(thrown);
    }
    expect(failure).toMatchObject({ code: 'db/disk-full' });
    t.close();
    const db = new Database(path.join(t.dir, 'dataset.sqlite'));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const ids = (db.prepare('SELECT id FROM examples ORDER BY id').all() as { id: number }[]).map((r) => r.id);
    expect(ids).toEqual([...committed, ...more]);
    expect(
      db.prepare('SELECT count(*) AS n FROM examples e WHERE turn_count <> (SELECT count(*) FROM turns t WHERE t.example_id = e.id)').get(),
    ).toEqual({ n: 0 });
    db.close();
  });
});
