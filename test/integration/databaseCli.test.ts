// Integration: `slime dataset import|export|stats` on a real dataset file (--db), human and --json output.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../electron/cli/main.ts';
import { REPO_ROOT } from '../../electron/node/paths.ts';
import { makePng, tempDir } from '../database/fixtures.ts';

async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('slime dataset', () => {
  it('imports with a summary of rejects, exports with filters and a split, and counts', async () => {
    const src = tempDir('slime-cli-src-');
    fs.mkdirSync(path.join(src, 'img'));
    fs.writeFileSync(path.join(src, 'img', 'a.png'), await makePng(1));
    fs.writeFileSync(path.join(src, 'img', 'b.png'), await makePng(2));
    const records = [
      {
        id: 'a',
        image: 'img/a.png',
        conversations: [
          { from: 'human', value: '<image>\nWhat is it?' },
          { from: 'gpt', value: 'A square.' },
        ],
      },
      {
        id: 'b',
        image: 'img/b.png',
        conversations: [
          { from: 'human', value: '<image>\nAnd this?' },
          { from: 'gpt', value: 'Another.' },
        ],
      },
      {
        id: 'c',
        image: '../escape.png',
        conversations: [
          { from: 'human', value: '<image>\nq' },
          { from: 'gpt', value: 'a' },
        ],
      },
    ];
    fs.writeFileSync(path.join(src, 'llava.json'), JSON.stringify(records));
    const db = path.join(tempDir('slime-cli-db-'), 'dataset.sqlite');

    const imported = await cli('dataset', 'import', path.join(src, 'llava.json'), '--db', db, '--tag', 'cli', '--json');
    expect(imported.code).toBe(0);
    const summary = JSON.parse(imported.out.join('\n')) as {
      imported: number;
      rejected: { id: string; reason: string }[];
      exported: number;
    };
    expect(summary).toMatchObject({
      imported: 2,
      exported: 0,
      rejected: [{ id: 'c', reason: expect.stringMatching(/leaves the dataset's folder/) }],
    });

    const human = await cli('dataset', 'import', path.join(src, 'llava.json'), '--db', db);
    expect(human.out[0]).toBe('imported 0 records (llava), rejected 1, duplicates 2, normalised 0');
    expect(human.out.slice(1)).toEqual([
      expect.stringMatching(/^ {2}rejected c: /),
      expect.stringMatching(/^ {2}duplicate a: same image and turns as example \d+$/),
      expect.stringMatching(/^ {2}duplicate b: same image and turns as example \d+$/),
    ]);

    const out = tempDir('slime-cli-out-');
    const exported = await cli(
      'dataset',
      'export',
      '--format',
      'sharegpt',
      '--out',
      out,
      '--tag',
      'cli',
      '--val-fraction',
      '0.5',
      '--seed',
      '3',
      '--db',
      db,
      '--json',
    );
    expect(exported.code).toBe(0);
    const ex = JSON.parse(exported.out.join('\n')) as {
      exported: number;
      rejected: unknown[];
      imported: number;
      train: number;
      val: number;
    };
    expect(ex).toMatchObject({ exported: 2, rejected: [], imported: 0 });
    expect(ex.train + ex.val).toBe(2);
    expect(fs.existsSync(path.join(out, 'dataset_info.json'))).toBe(true);

    // The folder now has files: refused without --overwrite, nothing changed; written with it.
    const before = fs.readFileSync(path.join(out, 'provenance.jsonl'), 'utf8');
    const refused = await cli('dataset', 'export', '--format', 'llava', '--out', out, '--db', db);
    expect(refused.code).toBe(1);
    expect(refused.err[0]).toMatch(/^error \[dataset\/not-empty\]: The folder .* already has \d+ entries.*Pass --overwrite/);
    expect(fs.readFileSync(path.join(out, 'provenance.jsonl'), 'utf8')).toBe(before);
    const over = await cli('dataset', 'export', '--format', 'llava', '--out', out, '--overwrite', '--db', db, '--json');
    expect(over.code).toBe(0);
    const snapshot = (
      JSON.parse(fs.readFileSync(path.join(out, 'provenance.jsonl'), 'utf8').split('\n')[0]!) as { snapshot: Record<string, unknown> }
    ).snapshot;
    expect(snapshot).toMatchObject({ format: 'llava', filter: {}, counts: { exported: 2, train: 2, val: 0, matched: 2 } });
    expect(snapshot.sha256).toBe((JSON.parse(over.out.join('\n')) as { snapshotSha256: string }).snapshotSha256);
    // The ShareGPT files of the earlier export are gone (a stale split would otherwise survive).
    expect(fs.readdirSync(out).sort()).toEqual(['images', 'provenance.jsonl', 'train.json']);

    // Parquet through the worker thread (hyparquet-writer / hyparquet on Node 24): out, and back into a new dataset.
    const pq = tempDir('slime-cli-pq-');
    expect((await cli('dataset', 'export', '--format', 'parquet', '--out', pq, '--db', db)).code).toBe(0);
    expect(fs.readdirSync(pq).sort()).toEqual(['provenance.jsonl', 'train.parquet']);
    const db2 = path.join(tempDir('slime-cli-db2-'), 'dataset.sqlite');
    const back = await cli('dataset', 'import', path.join(pq, 'train.parquet'), '--db', db2, '--json');
    expect(JSON.parse(back.out.join('\n'))).toMatchObject({ imported: 2, rejected: [], duplicates: [], format: 'parquet' });

    const bad = await cli('dataset', 'export', '--format', 'yaml', '--out', out, '--db', db);
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toMatch(/^error \[ipc\/bad-args\]/);

    const stats = execFileSync(
      process.execPath,
      [path.join(REPO_ROOT, 'electron', 'cli', 'main.ts'), 'dataset', 'stats', '--db', db, '--json'],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(stats)).toMatchObject({ examples: 2, images: 2, tags: [{ name: 'cli', count: 2 }] });

    const model = path.join(REPO_ROOT, 'test', 'fixtures', 'slime-tiny');
    const scored = await cli('dataset', 'score', '--db', db, '--model-dir', model, '--json');
    expect(scored.code).toBe(0);
    expect(JSON.parse(scored.out.join('\n'))).toMatchObject({ scored: 2, failed: [], cancelled: false, remaining: 0 });
    const again = await cli('dataset', 'score', '--db', db, '--model-dir', model);
    expect(again.out).toEqual(['scored 0, failed 0, remaining 0']);
  });

  it('stats names the database it read, and refuses a missing one without creating a data folder', async () => {
    const missing = path.join(tempDir('slime-cli-none-'), 'data');
    const none = await cli('dataset', 'stats', '--data-dir', missing);
    expect(none.code).toBe(1);
    expect(none.err[0]).toContain(`error [io/not-found]: No dataset at ${path.join(missing, 'dataset.sqlite')}`);
    expect(fs.existsSync(missing)).toBe(false);

    const dir = tempDir('slime-cli-named-');
    const src = path.join(dir, 'one.json');
    fs.writeFileSync(path.join(dir, 'a.png'), await makePng(9));
    fs.writeFileSync(
      src,
      JSON.stringify([
        {
          id: 'x',
          image: 'a.png',
          conversations: [
            { from: 'human', value: '<image>\nq' },
            { from: 'gpt', value: 'a' },
          ],
        },
      ]),
    );
    expect((await cli('dataset', 'import', src, '--data-dir', dir)).code).toBe(0);
    const named = await cli('dataset', 'stats', '--data-dir', dir);
    expect(named.out[0]).toBe(`database   ${path.join(dir, 'dataset.sqlite')}`);
    const json = await cli('dataset', 'stats', '--db', path.join(dir, 'dataset.sqlite'), '--json');
    expect(JSON.parse(json.out.join('\n'))).toMatchObject({ database: path.join(dir, 'dataset.sqlite'), examples: 1 });
  });

  it('gives the model folder one name: ask refuses --model and points to --model-dir', async () => {
    const r = await cli('ask', '--model', 'x', '--image', 'a.png', '--question', 'q');
    expect(r.code).toBe(2);
    expect(r.err[0]).toContain('--model-dir');
  });
});
