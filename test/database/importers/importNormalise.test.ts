// Unit: import normalisation and re-import detection — `<image>` inside the first question moved to its start as
// LLaVA's training code does (and reported), re-imported records (same image + same turns) reported as duplicates
// instead of doubled, a BMP written by Pillow imported, and Parquet rows (HF layout and mining shards written by
// pyarrow) imported with their signals kept under provenance.mining.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePng, openTestDataset, tempDir } from '../fixtures.ts';

const PYTHON = path.resolve('.venv/bin/python');
const human = (value: string): { from: string; value: string } => ({ from: 'human', value });
const gpt = (value: string): { from: string; value: string } => ({ from: 'gpt', value });

async function folder(): Promise<string> {
  const dir = tempDir('slime-norm-');
  fs.mkdirSync(path.join(dir, 'images'));
  fs.writeFileSync(path.join(dir, 'images', 'a.png'), await makePng(31));
  execFileSync(PYTHON, [
    '-c',
    'import sys; from PIL import Image; Image.open(sys.argv[1]).save(sys.argv[2])',
    path.join(dir, 'images', 'a.png'),
    path.join(dir, 'images', 'a.bmp'),
  ]);
  return dir;
}

describe('import normalisation and duplicates', () => {
  it('moves a mid-text <image> to the front as LLaVA does, says so, and keeps the original text in provenance', async () => {
    const dir = await folder();
    const records = [{ id: 'mid', image: 'images/a.bmp', conversations: [human('Is the square <image>  red? '), gpt('Yes.')] }];
    fs.writeFileSync(path.join(dir, 'd.json'), JSON.stringify(records));
    const t = openTestDataset();
    const r = await t.call('importDataset', { file: path.join(dir, 'd.json') });
    expect(r).toMatchObject({ imported: 1, rejected: [], duplicates: [] });
    expect(r.normalised).toEqual([{ id: 'mid', note: expect.stringMatching(/moved <image> .* as LLaVA training does/) }]);
    const [item] = (await t.call('listExamples', {})).items;
    const example = await t.call('getExample', item!.id);
    // LLaVA: token removed, text stripped (inner spaces kept), `<image>\n` in front — our turn keeps the text part.
    expect(example.turns[0]!.question).toBe('Is the square   red?');
    expect(example.provenance).toMatchObject({ import: { movedImageToken: { from: 'Is the square <image>  red? ' } } });
    expect(example.image).toMatchObject({ format: 'bmp', width: 64, height: 48 });
    t.close();
  });

  it('reports re-imported records (same image + same turns) as duplicates, in the file and in the dataset', async () => {
    const dir = await folder();
    const records = [
      { id: 'one', image: 'images/a.png', conversations: [human('<image>\nq1'), gpt('a1')] },
      { id: 'two', image: 'images/a.png', conversations: [human('<image>\nq2'), gpt('a2')] },
      { image: 'images/a.png', conversations: [human('<image>\nq1'), gpt('a1')] },
      { conversations: [human('text only'), gpt('fine')] },
    ];
    fs.writeFileSync(path.join(dir, 'd.json'), JSON.stringify(records));
    const t = openTestDataset();
    const first = await t.call('importDataset', { file: path.join(dir, 'd.json') });
    expect(first).toMatchObject({ imported: 3, rejected: [] });
    expect(first.duplicates).toEqual([{ id: '#2', exampleId: null, reason: 'same image and turns as record one of this import' }]);
    const again = await t.call('importDataset', { file: path.join(dir, 'd.json') });
    expect(again).toMatchObject({ imported: 0, rejected: [] });
    expect(again.duplicates.map((d) => d.id)).toEqual(['one', 'two', '#2', '#3']);
    expect(again.duplicates.every((d) => typeof d.exampleId === 'number')).toBe(true);
    expect((await t.call('stats')).examples).toBe(3);
    // A changed answer is new content: imported (its id is free because id-less records keep no external id).
    fs.writeFileSync(path.join(dir, 'e.json'), JSON.stringify([{ conversations: [human('text only'), gpt('changed')] }]));
    expect(await t.call('importDataset', { file: path.join(dir, 'e.json') })).toMatchObject({ imported: 1, duplicates: [] });
    t.close();
  });
});

const SHARD = `
import json, sys, hashlib
import pyarrow as pa, pyarrow.parquet as pq
png = open(sys.argv[1], 'rb').read()
image = pa.struct([('bytes', pa.binary()), ('path', pa.string())])
rows = 3
pq.write_table(pa.table({
  'image': pa.array([{'bytes': png, 'path': 'a.png'}] * rows, type=image),
  'image_sha256': [hashlib.sha256(png).hexdigest(), hashlib.sha256(png).hexdigest(), 'f' * 64],
  'question': ['What colour is the square?', 'Where is it?', 'Bad hash?'],
  'answer': ['red', 'top left', 'x'],
  'detail': [0.7, 0.1, 0.0], 'instability': [0.25, 0.0, 0.0],
  'diverge_at': [json.dumps({'global': 0, 'p0.5': None})] * rows,
  'margin': pa.array([0.4, 0.9, 0.5], type=pa.float32()), 'ood_score': [0.05, 0.05, 0.05],
  'in_dist': [True, True, True], 'needs_detail': [0.6, 0.1, 0.0],
  'embedding': pa.array([[0.5, -0.25, 1.0]] * rows, type=pa.list_(pa.float32())),
  'provenance': [json.dumps({'tool': 'models.mine', 'modelDir': 'models/nano', 'workers': 2})] * rows,
}), sys.argv[2])
`;

describe('Parquet import', () => {
  it('imports a mining shard: one example per row, answers from the model, signals under provenance.mining', async () => {
    const dir = await folder();
    fs.mkdirSync(path.join(dir, 'shards'));
    execFileSync(PYTHON, ['-c', SHARD, path.join(dir, 'images', 'a.png'), path.join(dir, 'shards', 'part-00000.parquet')]);
    const t = openTestDataset();
    const r = await t.call('importDataset', { file: path.join(dir, 'shards') });
    expect(r).toMatchObject({ imported: 2, format: 'parquet', duplicates: [] });
    expect(r.rejected).toEqual([{ id: 'part-00000.parquet#2', reason: expect.stringMatching(/image_sha256 f+ does not match/) }]);
    const items = (await t.call('listExamples', { sort: 'created', order: 'asc' })).items;
    const first = await t.call('getExample', items[0]!.id);
    expect(first.turns).toEqual([{ question: 'What colour is the square?', answer: 'red' }]);
    expect(first.answerSource).toBe('model');
    const mining = (first.provenance as { mining: Record<string, unknown> }).mining;
    expect(mining).toMatchObject({
      detail: 0.7,
      instability: 0.25,
      ood_score: 0.05,
      in_dist: true,
      needs_detail: 0.6,
      embedding: [0.5, -0.25, 1],
      diverge_at: { global: 0, 'p0.5': null },
      provenance: { tool: 'models.mine', workers: 2 },
    });
    expect(mining.margin as number).toBeCloseTo(0.4, 6);
    const again = await t.call('importDataset', { file: path.join(dir, 'shards', 'part-00000.parquet') });
    expect(again).toMatchObject({ imported: 0 });
    expect(again.duplicates).toHaveLength(2);
    t.close();
  });

  it('reads path-only image structs inside the folder and refuses paths that leave it', async () => {
    const dir = await folder();
    const code = `
import sys, pyarrow as pa, pyarrow.parquet as pq
image = pa.struct([('bytes', pa.binary()), ('path', pa.string())])
conv = [[{'from': 'human', 'value': '<image>\\nq'}, {'from': 'gpt', 'value': 'a'}]] * 2
pq.write_table(pa.table({'id': ['in', 'out'], 'image': pa.array([{'bytes': None, 'path': 'images/a.png'}, {'bytes': None, 'path': '../x.png'}], type=image), 'conversations': conv}), sys.argv[1])
`;
    execFileSync(PYTHON, ['-c', code, path.join(dir, 'rows.parquet')]);
    const t = openTestDataset();
    const r = await t.call('importDataset', { file: path.join(dir, 'rows.parquet') });
    expect(r.imported).toBe(1);
    expect(r.rejected).toEqual([{ id: 'out', reason: expect.stringMatching(/leaves the dataset's folder/) }]);
    t.close();
  });

  it('reads every row group of a shard, and an `images` list column holding one image', async () => {
    const dir = await folder();
    const code = `
import sys, pyarrow as pa, pyarrow.parquet as pq
png = open(sys.argv[1], 'rb').read()
image = pa.struct([('bytes', pa.binary()), ('path', pa.string())])
rows = [[{'bytes': png, 'path': 'a.png'}]] * 4 + [[{'bytes': png, 'path': 'a.png'}] * 2]
pq.write_table(pa.table({'images': pa.array(rows, type=pa.list_(image)), 'question': [f'q{i}' for i in range(5)], 'answer': ['a'] * 5}), sys.argv[2], row_group_size=2)
`;
    execFileSync(PYTHON, ['-c', code, path.join(dir, 'images', 'a.png'), path.join(dir, 'groups.parquet')]);
    const t = openTestDataset();
    const r = await t.call('importDataset', { file: path.join(dir, 'groups.parquet') });
    expect(r.imported).toBe(4);
    expect(r.rejected).toEqual([{ id: 'groups.parquet#4', reason: '2 images per record are not supported (one image per example)' }]);
    const questions = (await t.call('listExamples', { sort: 'created', order: 'asc' })).items.map((e) => e.question);
    expect(questions).toEqual(['q0', 'q1', 'q2', 'q3']);
    t.close();
  });
});
