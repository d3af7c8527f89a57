// Unit: the `sql` tag binds every value (no interpolation), splices fragments, and caches statements per connection.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { all, get, join, list, prepare, run, sql, trusted } from '../../database/sql.ts';

describe('sql tag', () => {
  it('turns values into placeholders and keeps hostile text as data', () => {
    const evil = "x'); DROP TABLE t; --";
    const q = sql`SELECT * FROM t WHERE a = ${1} AND b = ${evil}`;
    expect(q.text).toBe('SELECT * FROM t WHERE a = ? AND b = ?');
    expect(q.values).toEqual([1, evil]);
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (a, b)');
    run(db, sql`INSERT INTO t VALUES (${1}, ${evil})`);
    expect(all(db, sql`SELECT b FROM t WHERE b = ${evil}`)).toEqual([{ b: evil }]);
    expect(get(db, sql`SELECT count(*) AS n FROM sqlite_master WHERE name = 't'`)).toEqual({ n: 1 });
  });

  it('splices nested fragments, joins, lists and trusted text with their values in order', () => {
    const where = join([sql`a = ${1}`, sql`b IN ${list(['x', 'y'])}`, trusted('c IS NULL')], ' AND ');
    const q = sql`SELECT * FROM t WHERE ${where} LIMIT ${5}`;
    expect(q.text).toBe('SELECT * FROM t WHERE a = ? AND b IN (?, ?) AND c IS NULL LIMIT ?');
    expect(q.values).toEqual([1, 'x', 'y', 5]);
    expect(list([]).text).toBe('(NULL)');
  });

  it('reuses one prepared statement per text and connection', () => {
    const db = new Database(':memory:');
    expect(prepare(db, 'SELECT 1')).toBe(prepare(db, 'SELECT 1'));
    expect(prepare(new Database(':memory:'), 'SELECT 1')).not.toBe(prepare(db, 'SELECT 1'));
  });
});
