// Integration: the signals pass (`slime dataset signals --job N`) on a job asked with signals off, SIGKILLed once
// mid-pass and run again, ends with every example's signals filled in — and equal to what the same job computes in
// one pass with signals on (same answers, detail score, sweep answers and instability, margin, OOD verdict, rank).
// Real SQLite, the real SliME-Nano graphs, 4 Nano scenes + 1 real photo × 2 questions.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../database/fixtures.ts';
import { REPO_ROOT } from '../../electron/node/paths.ts';

const CLI = path.join(REPO_ROOT, 'electron', 'cli', 'main.ts');
const SAMPLES = path.join(REPO_ROOT, 'models', 'nano', 'samples');
const PHOTO = path.join(REPO_ROOT, 'test', 'fixtures', 'mining', 'photos', 'astronaut.png');
const QUESTIONS = ['What colour is the circle?', 'How many shapes are there?'];

/** Runs the CLI with --json; with `killAfter`, SIGKILLs it once that many examples of a signals pass are done. */
function cli(args: string[], killAfter?: number): Promise<{ killed: boolean; lines: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: Record<string, unknown>[] = [];
    let buffer = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const line of parts) {
        const event = JSON.parse(line) as Record<string, unknown>;
        lines.push(event);
        if (killAfter !== undefined && event.phase === 'signals' && (event.done as number) >= killAfter) child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ killed: true, lines });
      else if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}: ${err}`));
      else resolve({ killed: false, lines });
    });
  });
}

interface Row {
  image_sha256: string;
  question: string;
  answer: string;
  detail_score: number | null;
  instability: number | null;
  diverge_at: string | null;
  margin: number | null;
  in_dist: number | null;
  ood_score: number | null;
  needs_detail: number;
  missing: string;
}

function rows(file: string): Map<string, Row> {
  const db = new Database(file, { readonly: true });
  const all = db
    .prepare(
      `SELECT e.image_sha256, t.question, t.answer, e.detail_score, s.instability, s.diverge_at, s.margin, s.in_dist, s.ood_score,
              s.needs_detail, s.missing
       FROM examples e JOIN turns t ON t.example_id = e.id AND t.position = 0 JOIN example_signals s ON s.example_id = e.id`,
    )
    .all() as Row[];
  db.close();
  return new Map(all.map((r) => [`${r.image_sha256}|${r.question}`, r]));
}

describe('the signals pass', () => {
  it('fills in the signals of a job asked without them, resumably, equal to the one-pass job', async () => {
    const dir = tempDir('slime-mine-signals-');
    const folder = path.join(dir, 'folder');
    fs.mkdirSync(folder);
    for (const f of fs
      .readdirSync(SAMPLES)
      .filter((n) => n.endsWith('.png'))
      .slice(0, 4))
      fs.copyFileSync(path.join(SAMPLES, f), path.join(folder, f));
    fs.copyFileSync(PHOTO, path.join(folder, 'photo.png'));
    const ask = [...QUESTIONS.flatMap((q) => ['--question', q]), '--selector-mode', 'legacy'];
    const [onePass, later] = [path.join(dir, 'one', 'dataset.sqlite'), path.join(dir, 'later', 'dataset.sqlite')];
    await cli(['dataset', '--db', onePass, '--json', 'ask-folder', folder, ...ask]);
    await cli(['dataset', '--db', later, '--json', 'ask-folder', folder, ...ask, '--no-signals']);

    const before = rows(later);
    expect(before.size).toBe(10);
    // Signals off: no detail score and no sweep; the OOD verdict (the guard embeds anyway) and the margin are there.
    for (const r of before.values()) expect(JSON.parse(r.missing)).toEqual(['detail', 'instability']);
    const jobs = (await cli(['dataset', '--db', later, '--json', 'jobs'])).lines[0] as unknown as {
      signalsMissing: number;
      settings: { selector: unknown };
    }[];
    expect(jobs.map((j) => [j.signalsMissing, j.settings.selector])).toEqual([[10, { mode: 'legacy' }]]);
    await expect(cli(['dataset', '--db', later, '--json', 'ask-folder', folder, ...ask, '--selector-mode', 'wide'])).rejects.toThrow(
      /selector\.mode/,
    );

    const killed = await cli(['dataset', '--db', later, '--json', 'signals', '--job', '1'], 3);
    expect(killed.killed).toBe(true);
    const midway = [...rows(later).values()].filter((r) => r.missing === '[]').length;
    expect(midway).toBeGreaterThanOrEqual(3);
    expect(midway).toBeLessThan(10);
    const resumed = await cli(['dataset', '--db', later, '--json', 'signals', '--job', '1']);
    const end = resumed.lines.find((l) => l.event === 'end') as { job: { signalsMissing: number } };
    expect(end.job.signalsMissing).toBe(0);
    // The resumed run only did what the killed one had not stored.
    const last = resumed.lines.filter((l) => l.phase === 'signals').at(-1) as { done: number; total: number };
    expect(last.total).toBe(10 - midway);

    const want = rows(onePass);
    const got = rows(later);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [key, w] of want) {
      const g = got.get(key)!;
      expect([key, g.answer, g.instability, g.diverge_at, g.in_dist, g.missing]).toEqual([
        key,
        w.answer,
        w.instability,
        w.diverge_at,
        w.in_dist,
        '[]',
      ]);
      // Same graphs, same inputs, same process kind: equal up to float noise (tolerance 1e-6).
      for (const k of ['detail_score', 'margin', 'ood_score', 'needs_detail'] as const) expect(Math.abs(g[k]! - w[k]!)).toBeLessThan(1e-6);
    }
    // The photo is out of distribution in both, so its rows rank below every scene's.
    const photo = [...got.values()].filter((r) => r.in_dist === 0);
    expect(photo.length).toBe(2);
    expect(Math.max(...photo.map((r) => r.needs_detail))).toBeLessThan(
      Math.min(...[...got.values()].filter((r) => r.in_dist === 1).map((r) => r.needs_detail)),
    );
  }, 600_000);
});
