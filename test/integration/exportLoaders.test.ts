// Integration: every export format loads in Python with the Hugging Face `datasets` package (through the loaders of
// models/tests/export_loaders.py, each modelled on the trainer that reads the format: LLaVA, LLaMA-Factory, …),
// from a real dataset holding PNG, JPEG and Pillow-written BMP images, a record imported with `<image>` in the middle
// of its question, a system prompt, a text-only record and a region. The Parquet export also imports back.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { makePng, openTestDataset, tempDir, type TestDataset } from '../database/fixtures.ts';
import type { ExportFormat } from '../../electron/shared/ipc/dataset.ts';

const PYTHON = path.resolve('.venv/bin/python');

interface Loaded<T> {
  ok: boolean;
  error?: string;
  result: T;
}

function load<T>(folder: string, format: ExportFormat, split = 'train'): Loaded<T> {
  if (split !== 'train') return loadSplit<T>(folder, format, split);
  const args = ['-m', 'models.tests.export_loaders', folder, format];
  try {
    return JSON.parse(execFileSync(PYTHON, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as Loaded<T>;
  } catch (thrown) {
    const out = (thrown as { stdout?: string }).stdout ?? '';
    return out ? (JSON.parse(out) as Loaded<T>) : { ok: false, error: String(thrown), result: undefined as T };
  }
}

function loadSplit<T>(folder: string, format: ExportFormat, split: string): Loaded<T> {
  const code = `import json, sys; from pathlib import Path; from models.tests.export_loaders import LOADERS
print(json.dumps({'ok': True, 'result': LOADERS[sys.argv[2]](Path(sys.argv[1]), sys.argv[3])}))`;
  return JSON.parse(execFileSync(PYTHON, ['-c', code, folder, format, split], { encoding: 'utf8' })) as Loaded<T>;
}

let t: TestDataset;
let sizes: Map<string, [number, number]>;

beforeAll(async () => {
  const src = tempDir('slime-loaders-src-');
  fs.mkdirSync(path.join(src, 'img'));
  fs.writeFileSync(path.join(src, 'img', 'a.png'), await makePng(3, 96, 64));
  fs.writeFileSync(
    path.join(src, 'img', 'c.jpg'),
    await sharp(await makePng(5, 80, 72))
      .jpeg()
      .toBuffer(),
  );
  fs.writeFileSync(path.join(src, 'img', 'b.png'), await makePng(4, 72, 40));
  execFileSync(PYTHON, [
    '-c',
    'import sys; from PIL import Image; Image.open(sys.argv[1]).save(sys.argv[2])',
    path.join(src, 'img', 'b.png'),
    path.join(src, 'img', 'b.bmp'),
  ]);
  const human = (value: string): { from: string; value: string } => ({ from: 'human', value });
  const gpt = (value: string): { from: string; value: string } => ({ from: 'gpt', value });
  const records = [
    { id: 'png', image: 'img/a.png', conversations: [human('<image>\nWhat is in the corner?'), gpt('A square.')] },
    {
      id: 'bmp-mid',
      image: 'img/b.bmp',
      conversations: [human('What colour is <image> the square?'), gpt('Red.'), human('Where?'), gpt('Left.')],
    },
    { id: 'jpeg', image: 'img/c.jpg', conversations: [human('<image>\nDescribe it.'), gpt('A gradient.')] },
    { id: 'text', conversations: [human('No image here.'), gpt('Fine.')] },
  ];
  fs.writeFileSync(path.join(src, 'data.json'), JSON.stringify(records));
  t = openTestDataset();
  const report = await t.call('importDataset', { file: path.join(src, 'data.json'), status: 'accepted' });
  expect(report).toMatchObject({ imported: 4, rejected: [], duplicates: [] });
  expect(report.normalised.map((n) => n.id)).toEqual(['bmp-mid']);
  const [png] = (await t.call('listExamples', { sort: 'created', order: 'asc' })).items;
  await t.call('updateExample', png!.id, { system: 'Be brief.' });
  await t.call('addRegion', png!.id, { x1: 4, y1: 6, x2: 40, y2: 30, note: 'the square' });
  sizes = new Map();
  for (const e of (await t.call('listExamples', {})).items)
    if (e.imageSha256) {
      const image = await t.call('getImage', e.imageSha256);
      sizes.set(e.externalId!, [image.width, image.height]);
    }
  expect(sizes.size).toBe(3);
});

async function exported(format: ExportFormat, valFraction = 0): Promise<string> {
  const out = tempDir(`slime-loaders-${format}-`);
  const summary = await t.call('exportDataset', { format, outDir: out, valFraction, seed: 1 });
  expect(summary.rejected).toEqual([]);
  return out;
}

describe('exports load with datasets, the way their trainers read them', () => {
  it('LLaVA: one <image> per image record, images relative to the folder, unchanged by LLaVA normalisation', async () => {
    const out = await exported('llava');
    const r = load<{ id: string; size: number[] | null; unchanged: boolean; conversations: { value: string }[] }[]>(out, 'llava');
    expect(r.error).toBeUndefined();
    expect(r.result.map((x) => x.id).sort()).toEqual(['bmp-mid', 'jpeg', 'png', 'text']);
    for (const x of r.result) {
      expect(x.size).toEqual(sizes.get(x.id) ?? null);
      expect(x.unchanged).toBe(true);
    }
    expect(r.result.find((x) => x.id === 'bmp-mid')!.conversations[0]!.value).toBe('<image>\nWhat colour is  the square?');
  });

  it('ShareGPT: dataset_info.json maps exactly the columns the records carry (system where any has one)', async () => {
    const out = await exported('sharegpt', 0.5);
    const r = load<Record<string, { id: string; system: string; sizes: number[][] }[]>>(out, 'sharegpt');
    expect(r.error).toBeUndefined();
    const rows = Object.values(r.result).flat();
    expect(rows.map((x) => x.id).sort()).toEqual(['bmp-mid', 'jpeg', 'png', 'text']);
    expect(rows.find((x) => x.id === 'png')!.system).toBe('Be brief.');
    const info = JSON.parse(fs.readFileSync(path.join(out, 'dataset_info.json'), 'utf8')) as Record<string, { columns: object }>;
    expect(Object.keys(info).length).toBe(2);
    expect(Object.values(info).filter((e) => 'system' in e.columns).length).toBe(1);
  });

  it('OpenAI JSONL and COCO load; the COCO box lies inside its image', async () => {
    const openai = load<{ id: string; system: string }[]>(await exported('openai'), 'openai');
    expect(openai.error).toBeUndefined();
    expect(openai.result.find((x) => x.id === 'png')!.system).toBe('Be brief.');
    const coco = load<{ images: number; annotations: number }>(await exported('coco'), 'coco');
    expect(coco).toMatchObject({ ok: true, result: { images: 3, annotations: 1 } });
  });

  it('Parquet: Image features with the stored bytes, in both splits, and it imports back without loss', async () => {
    const out = await exported('parquet', 0.5);
    const rows = ['train', 'val'].flatMap(
      (split) => load<{ id: string; size: number[] | null; sha256: string | null; system: string | null }[]>(out, 'parquet', split).result,
    );
    expect(rows.map((x) => x.id).sort()).toEqual(['bmp-mid', 'jpeg', 'png', 'text']);
    for (const x of rows) expect(x.size).toEqual(sizes.get(x.id) ?? null);
    const shas = (await t.call('listExamples', {})).items.map((e) => e.imageSha256).filter(Boolean);
    expect(
      rows
        .map((x) => x.sha256)
        .filter(Boolean)
        .sort(),
    ).toEqual([...shas].sort());
    expect(rows.find((x) => x.id === 'png')!.system).toBe('Be brief.');
    expect(fs.existsSync(path.join(out, 'images'))).toBe(false);

    const again = await t.call('importDataset', { file: out });
    expect(again).toMatchObject({ imported: 0, rejected: [], format: 'parquet' });
    expect(again.duplicates.map((d) => d.id).sort()).toEqual(['bmp-mid', 'jpeg', 'png', 'text']);
    const fresh = openTestDataset();
    const back = await fresh.call('importDataset', { file: out });
    expect(back).toMatchObject({ imported: 4, rejected: [], duplicates: [] });
    const png = (await fresh.call('listExamples', {})).items.find((e) => e.externalId === 'png')!;
    expect((await fresh.call('getExample', png.id)).system).toBe('Be brief.');
    fresh.close();
  });
});
