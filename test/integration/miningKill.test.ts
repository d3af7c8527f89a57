// Integration: `slime dataset ask-folder` over the Nano samples with real SQLite and the real Nano graphs, SIGKILLed
// mid-run 10 times (once during the scan) and resumed with --resume each time: at the end every image × question pair
// is done exactly once — one example each, none lost, none doubled — and the file passes its integrity check.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../database/fixtures.ts';
import { REPO_ROOT } from '../../electron/node/paths.ts';

const CLI = path.join(REPO_ROOT, 'electron', 'cli', 'main.ts');
const SAMPLES = path.join(REPO_ROOT, 'models', 'nano', 'samples');
const KILLS = 10;
const QUESTIONS = ['What colour is the circle?', 'How many shapes are there?', 'Is there a triangle?'];

interface Run {
  jobId: number | null;
  killed: boolean;
  progressed: number;
}

/** Runs the CLI; kills it (SIGKILL) after `afterPairs` completed pairs (0: as soon as the job exists) plus `delayMs`. */
function runCli(args: string[], kill: { afterPairs: number; delayMs: number } | null): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: Run = { jobId: null, killed: false, progressed: 0 };
    let buffer = '';
    let err = '';
    let firstDone: number | null = null;
    let armed = false;
    const arm = (): void => {
      if (armed || !kill) return;
      armed = true;
      setTimeout(() => child.kill('SIGKILL'), kill.delayMs);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const event = JSON.parse(line) as { event: string; jobId?: number; done?: number };
        if (event.event === 'job') {
          run.jobId = event.jobId!;
          if (kill?.afterPairs === 0) arm();
        }
        if (event.event === 'progress' && typeof event.done === 'number') {
          firstDone ??= event.done;
          run.progressed = event.done - firstDone;
          if (kill && run.progressed >= kill.afterPairs) arm();
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code, signal) => {
      run.killed = signal === 'SIGKILL';
      if (!run.killed && code !== 0) reject(new Error(`ask-folder exited ${code}: ${err}`));
      else resolve(run);
    });
  });
}

describe('ask-folder killed and resumed', () => {
  it(`does every pair exactly once across ${KILLS} SIGKILLs`, async () => {
    const dir = tempDir('slime-mine-kill-');
    const folder = path.join(dir, 'folder');
    fs.mkdirSync(path.join(folder, 'nested'), { recursive: true });
    const pngs = fs.readdirSync(SAMPLES).filter((f) => f.endsWith('.png'));
    pngs.forEach((f, i) => fs.copyFileSync(path.join(SAMPLES, f), path.join(folder, i % 3 === 0 ? 'nested' : '', f)));
    fs.copyFileSync(path.join(SAMPLES, pngs[0]!), path.join(folder, 'copy-of-first.png'));
    const questions = path.join(dir, 'questions.json');
    fs.writeFileSync(
      questions,
      JSON.stringify({ questions: QUESTIONS, perImage: { [`nested/${pngs[0]}`]: ['What shape is in the top left?'] } }),
    );
    const db = path.join(dir, 'dataset.sqlite');
    const base = ['dataset', '--db', db, '--json'];

    let seed = 2026;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const first = await runCli([...base, 'ask-folder', folder, '--questions', questions], { afterPairs: 0, delayMs: 300 });
    expect(first.killed).toBe(true);
    const jobId = first.jobId!;
    let kills = 1;
    while (kills < KILLS) {
      const r = await runCli([...base, 'ask-folder', '--resume', String(jobId)], {
        afterPairs: 1 + Math.floor(random() * 2),
        delayMs: Math.floor(random() * 120),
      });
      if (!r.killed) break;
      kills += 1;
    }
    expect(kills).toBe(KILLS);
    const last = await runCli([...base, 'ask-folder', '--resume', String(jobId)], null);
    expect(last.killed).toBe(false);

    const ro = new Database(db, { readonly: true });
    expect(ro.pragma('integrity_check', { simple: true })).toBe('ok');
    const pairs = ro.prepare('SELECT image_sha256, question, state, example_id FROM mining_pairs WHERE job_id = ?').all(jobId) as {
      image_sha256: string;
      question: string;
      state: string;
      example_id: number | null;
    }[];
    // 12 distinct images (the copy has the same bytes as its original) × 3 questions + 1 per-image question.
    expect(pairs.length).toBe(pngs.length * QUESTIONS.length + 1);
    expect(pairs.every((p) => p.state === 'done' && p.example_id !== null)).toBe(true);
    const examples = ro
      .prepare(
        `SELECT e.id, e.image_sha256, t.question FROM examples e JOIN turns t ON t.example_id = e.id
         WHERE json_extract(e.provenance, '$.miningJobId') = ?`,
      )
      .all(jobId) as { id: number; image_sha256: string; question: string }[];
    expect(examples.length).toBe(pairs.length);
    const keys = new Set(examples.map((e) => `${e.image_sha256}|${e.question}`));
    expect(keys.size).toBe(pairs.length);
    expect(new Set(pairs.map((p) => p.example_id)).size).toBe(pairs.length);
    for (const p of pairs) expect(examples.find((e) => e.id === p.example_id)?.question).toBe(p.question);
    expect((ro.prepare('SELECT count(*) AS n FROM example_signals').get() as { n: number }).n).toBe(pairs.length);
    expect((ro.prepare('SELECT count(*) AS n FROM images').get() as { n: number }).n).toBe(pngs.length);
    // The store holds each image once (the copy and the resumed scans stored nothing twice).
    const stored = fs.readdirSync(path.join(dir, 'images'), { recursive: true }).filter((f) => String(f).endsWith('.png'));
    expect(stored.length).toBe(pngs.length);
    ro.close();
  });
});
