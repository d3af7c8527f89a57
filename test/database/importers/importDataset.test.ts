// Unit: importing LLaVA JSON and ShareGPT — good records kept, each bad one reported with its id and reason,
// images never read from outside the file's folder; a round trip import → export gives the same records.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePng, openTestDataset, tempDir } from '../fixtures.ts';

async function fixtureFolder(): Promise<{ dir: string; outside: string }> {
  const root = tempDir('slime-import-');
  const dir = path.join(root, 'set');
  fs.mkdirSync(path.join(dir, 'images'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'images', 'a.png'), await makePng(11));
  fs.writeFileSync(path.join(dir, 'images', 'b.png'), await makePng(12));
  fs.writeFileSync(path.join(dir, 'images', 'bad.png'), 'this is text, not a PNG');
  const outside = path.join(root, 'outside.png');
  fs.writeFileSync(outside, await makePng(13));
  fs.symlinkSync(outside, path.join(dir, 'images', 'link.png'));
  return { dir, outside };
}

const human = (value: string): { from: string; value: string } => ({ from: 'human', value });
const gpt = (value: string): { from: string; value: string } => ({ from: 'gpt', value });

const LLAVA = [
  { id: 'good-1', image: 'images/a.png', conversations: [human('<image>\nWhat is in the corner?'), gpt('A red square.')] },
  {
    id: 'good-2',
    image: 'images/b.png',
    conversations: [human('Describe it.\n<image>'), gpt('A gradient.'), human('And the square?'), gpt('Top left.')],
  },
  { id: 'text-3', conversations: [human('No image here'), gpt('Fine.')] },
  { id: 'missing', image: 'images/nope.png', conversations: [human('<image>\nq'), gpt('a')] },
  { id: 'dotdot', image: '../outside.png', conversations: [human('<image>\nq'), gpt('a')] },
  { id: 'absolute', image: '/etc/hostname', conversations: [human('<image>\nq'), gpt('a')] },
  { id: 'symlink', image: 'images/link.png', conversations: [human('<image>\nq'), gpt('a')] },
  { id: 'order', image: 'images/a.png', conversations: [gpt('<image>\nq'), human('a')] },
  { id: 'count', image: 'images/a.png', conversations: [human('no placeholder'), gpt('a')] },
  { id: 'decode', image: 'images/bad.png', conversations: [human('<image>\nq'), gpt('a')] },
  { id: 'good-1', image: 'images/a.png', conversations: [human('<image>\nagain'), gpt('dup')] },
  'not an object',
];

describe('importDataset', () => {
  it('keeps good LLaVA records and reports every bad one with its id and reason', async () => {
    const { dir } = await fixtureFolder();
    fs.writeFileSync(path.join(dir, 'data.json'), JSON.stringify(LLAVA));
    const t = openTestDataset();
    const r = await t.call('importDataset', { file: path.join(dir, 'data.json') });
    expect(r.imported).toBe(3);
    const reasons = Object.fromEntries(r.rejected.map((x) => [x.id, x.reason]));
    expect(Object.keys(reasons).sort()).toEqual(
      ['#11', 'absolute', 'count', 'decode', 'dotdot', 'good-1', 'missing', 'order', 'symlink'].sort(),
    );
    expect(reasons.missing).toMatch(/not found/);
    expect(reasons.dotdot).toMatch(/leaves the dataset's folder/);
    expect(reasons.absolute).toMatch(/absolute path/);
    expect(reasons.symlink).toMatch(/link that leaves/);
    expect(reasons.order).toMatch(/alternate/);
    expect(reasons.count).toMatch(/0 <image> placeholders for 1 image/);
    expect(reasons.decode).toMatch(/Not an image/);
    expect(reasons['good-1']).toMatch(/duplicate id/);
    const page = await t.call('listExamples', { sort: 'created', order: 'asc' });
    expect(page.items.map((e) => e.externalId)).toEqual(['good-1', 'good-2', 'text-3']);
    const second = await t.call('getExample', page.items[1]!.id);
    expect(second.turns).toEqual([
      { question: 'Describe it.', answer: 'A gradient.' },
      { question: 'And the square?', answer: 'Top left.' },
    ]);
    expect((await t.call('stats')).images).toBe(2);
    t.close();
  });

  it('round-trips LLaVA: import → export gives the same ids, conversations and image bytes', async () => {
    const { dir } = await fixtureFolder();
    const good = LLAVA.slice(0, 3) as { id: string; image?: string; conversations: unknown[] }[];
    fs.writeFileSync(path.join(dir, 'data.json'), JSON.stringify(good));
    const t = openTestDataset();
    await t.call('importDataset', { file: path.join(dir, 'data.json') });
    const out = tempDir('slime-export-');
    const summary = await t.call('exportDataset', { format: 'llava', outDir: out });
    expect(summary).toMatchObject({ exported: 3, rejected: [] });
    const exported = JSON.parse(fs.readFileSync(path.join(out, 'train.json'), 'utf8')) as typeof good;
    expect(exported.map((r) => ({ id: r.id, conversations: r.conversations }))).toEqual(
      good.map((r) => ({ id: r.id, conversations: r.conversations })),
    );
    for (const [i, record] of exported.entries()) {
      if (!good[i]!.image) expect(record.image).toBeUndefined();
      else expect(fs.readFileSync(path.join(out, record.image!)).equals(fs.readFileSync(path.join(dir, good[i]!.image!)))).toBe(true);
    }
    t.close();
  });

  it('round-trips ShareGPT with a system prompt and images arrays', async () => {
    const { dir } = await fixtureFolder();
    const records = [
      { id: 's1', system: 'You are precise.', images: ['images/a.png'], conversations: [human('<image>What is it?'), gpt('A square.')] },
      { id: 's2', images: [], conversations: [human('hi'), gpt('hello')] },
    ];
    fs.writeFileSync(path.join(dir, 'sg.json'), JSON.stringify(records));
    const t = openTestDataset();
    expect(await t.call('importDataset', { file: path.join(dir, 'sg.json'), format: 'sharegpt' })).toMatchObject({
      imported: 2,
      rejected: [],
      format: 'sharegpt',
    });
    const out = tempDir('slime-export-');
    await t.call('exportDataset', { format: 'sharegpt', outDir: out });
    const exported = JSON.parse(fs.readFileSync(path.join(out, 'train.json'), 'utf8')) as {
      id: string;
      system?: string;
      images: string[];
      conversations: unknown[];
    }[];
    // Every record of a file with any system prompt carries `system` ('' for none), matching dataset_info.json.
    expect(exported.map((r) => ({ id: r.id, system: r.system, conversations: r.conversations, n: r.images.length }))).toEqual(
      records.map((r) => ({ id: r.id, system: r.system ?? '', conversations: r.conversations, n: r.images.length })),
    );
    expect(fs.readFileSync(path.join(out, exported[0]!.images[0]!)).equals(fs.readFileSync(path.join(dir, 'images/a.png')))).toBe(true);
    t.close();
  });

  it('fails the whole file clearly when it is not a JSON array', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'x.json'), '{"id": 1}');
    fs.writeFileSync(path.join(dir, 'y.json'), '[{"id": 1},');
    const t = openTestDataset();
    await expect(t.call('importDataset', { file: path.join(dir, 'x.json') })).rejects.toMatchObject({ code: 'dataset/invalid' });
    await expect(t.call('importDataset', { file: path.join(dir, 'y.json') })).rejects.toMatchObject({ code: 'dataset/invalid' });
    await expect(t.call('importDataset', { file: path.join(dir, 'none.json') })).rejects.toMatchObject({ code: 'io/not-found' });
    t.close();
  });
});
