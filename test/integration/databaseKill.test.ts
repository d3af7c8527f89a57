// Integration: SIGKILL the writer at random points during bulk writes, 100+ times; after each kill the file passes
// integrity_check, every batch reported as committed is there, and no example is half-written.
import { spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../database/connection.ts';
import { expectedTurns } from '../database/killWriter.ts';
import { tempDir } from '../database/fixtures.ts';
import { REPO_ROOT } from '../../electron/node/paths.ts';

const WRITER = path.join(REPO_ROOT, 'test', 'database', 'killWriter.ts');
const KILLS = 100;

/** Runs the writer, kills it `delayMs` after it is ready; resolves with the batches it reported committed and the edits. */
function runAndKill(file: string, iteration: number, delayMs: number): Promise<{ committed: string[]; edited: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, file, String(iteration)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: ReturnType<typeof setTimeout> | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!timer && out.includes('ready\n')) timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`writer exited on its own: ${err}`));
      const lines = out.split('\n').filter((l) => l.length > 0);
      const complete = out.endsWith('\n') ? lines : lines.slice(0, -1);
      resolve({
        committed: complete.filter((l) => l.startsWith('C ')).flatMap((l) => l.slice(2).split(',')),
        edited: complete.filter((l) => l.startsWith('E ')).map((l) => l.slice(2)),
      });
    });
  });
}

/** Full integrity check and presence of every committed id; turn-by-turn check of the rows the last writer touched. */
function checkFile(file: string, iteration: number, committed: Set<string>, edited: Set<string>): void {
  const { db, health } = openDatabase(file);
  expect(health.status).toBe('ok');
  db.close();
  const ro = new Database(file, { readonly: true });
  const present = new Set((ro.prepare('SELECT external_id FROM examples').all() as { external_id: string }[]).map((r) => r.external_id));
  const rows = ro.prepare('SELECT id, external_id, turn_count FROM examples WHERE external_id LIKE ?').all(`k-${iteration}-%`) as {
    id: number;
    external_id: string;
    turn_count: number;
  }[];
  for (const id of committed) if (!present.has(id)) throw new Error(`committed example ${id} is missing`);
  const turnsOf = ro.prepare('SELECT position, question, answer FROM turns WHERE example_id = ? ORDER BY position');
  const fts = ro.prepare('SELECT count(*) AS n FROM examples_fts WHERE rowid = ? AND body LIKE ?');
  for (const row of rows) {
    const turns = turnsOf.all(row.id) as { position: number; question: string; answer: string }[];
    const plain = turns.map(({ question, answer }) => ({ question, answer }));
    const asWritten = expectedTurns(row.external_id, false);
    const asEdited = expectedTurns(row.external_id, true);
    const ok = JSON.stringify(plain) === JSON.stringify(asWritten) || JSON.stringify(plain) === JSON.stringify(asEdited);
    if (!ok || turns.length !== row.turn_count)
      throw new Error(`example ${row.external_id} is half-written (${turns.length} turns, turn_count ${row.turn_count})`);
    if (edited.has(row.external_id) && JSON.stringify(plain) !== JSON.stringify(asEdited))
      throw new Error(`committed edit of ${row.external_id} is lost`);
    if ((fts.get(row.id, `%${plain.at(-1)!.answer.split(' ')[0]}%`) as { n: number }).n !== 1)
      throw new Error(`FTS row of ${row.external_id} is out of step`);
  }
  ro.close();
}

describe('database writer killed at random points', () => {
  it(`keeps every committed example and never a half-written one across ${KILLS} SIGKILLs`, async () => {
    const file = path.join(tempDir('slime-kill-'), 'dataset.sqlite');
    const committed = new Set<string>();
    const edited = new Set<string>();
    let seed = 12345;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < KILLS; i++) {
      const r = await runAndKill(file, i, Math.floor(random() * 60));
      for (const id of r.committed) committed.add(id);
      for (const id of r.edited) edited.add(id);
      checkFile(file, i, committed, edited);
    }
    expect(committed.size).toBeGreaterThan(KILLS);
  }, 120_000);
});
