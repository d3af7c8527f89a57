// Unit: exports — every format's shape, validation before writing, filters, an image-disjoint train/val split,
// the provenance sidecar, and writes that never leave the chosen folder (relative paths, symlinked folders and files).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePng, openTestDataset, tempDir, type TestDataset } from '../fixtures.ts';

async function populated(): Promise<{ t: TestDataset; ids: number[]; shas: string[] }> {
  const t = openTestDataset();
  const shas: string[] = [];
  for (let i = 0; i < 6; i++) shas.push((await t.call('addImage', new Uint8Array(await makePng(20 + i, 100, 80)), `i${i}.png`)).sha256);
  const ids = await t.call(
    'createExamples',
    Array.from({ length: 12 }, (_, i) => ({
      imageSha256: shas[i % 6]!,
      system: i === 0 ? 'Be brief.' : null,
      turns: [{ question: `Question ${i}`, answer: `Answer ${i}` }],
      tags: i % 3 === 0 ? ['keep'] : [],
      status: i % 2 === 0 ? ('accepted' as const) : ('draft' as const),
    })),
  );
  await t.call('addRegion', ids[0]!, { x1: 10, y1: 20, x2: 50, y2: 60, note: 'the square' });
  return { t, ids, shas };
}

const read = (dir: string, file: string): unknown => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));

describe('exportDataset', () => {
  it('writes LLaVA, ShareGPT (+dataset_info.json), OpenAI JSONL and COCO with relative image paths and a provenance sidecar', async () => {
    const { t, ids } = await populated();
    const llava = tempDir();
    await t.call('exportDataset', { format: 'llava', outDir: llava });
    const first = (read(llava, 'train.json') as Record<string, unknown>[])[0]!;
    expect(first).toEqual({
      id: `ex-${ids[0]}`,
      image: expect.stringMatching(/^images\/[0-9a-f]{64}\.png$/),
      conversations: [
        { from: 'human', value: '<image>\nQuestion 0' },
        { from: 'gpt', value: 'Answer 0' },
      ],
    });
    expect(fs.existsSync(path.join(llava, first.image as string))).toBe(true);
    const sidecar = fs
      .readFileSync(path.join(llava, 'provenance.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(sidecar).toHaveLength(13);
    expect(sidecar[0]).toMatchObject({ snapshot: { format: 'llava', counts: { exported: 12, train: 12, val: 0 } } });
    expect((sidecar[0]!.snapshot as { sha256: string }).sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(sidecar[1]).toMatchObject({ id: `ex-${ids[0]}`, split: 'train', answerSource: 'human', status: 'accepted', tags: ['keep'] });

    const sg = tempDir();
    await t.call('exportDataset', { format: 'sharegpt', outDir: sg });
    expect((read(sg, 'train.json') as Record<string, unknown>[])[0]).toMatchObject({ system: 'Be brief.', images: [first.image] });
    expect(read(sg, 'dataset_info.json')).toMatchObject({
      slime_train: { file_name: 'train.json', formatting: 'sharegpt', columns: { messages: 'conversations', images: 'images' } },
    });

    const oa = tempDir();
    await t.call('exportDataset', { format: 'openai', outDir: oa });
    const lines = fs
      .readFileSync(path.join(oa, 'train.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { messages: { role: string }[] });
    expect(lines).toHaveLength(12);
    expect(lines[0]!.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);

    const coco = tempDir();
    await t.call('exportDataset', { format: 'coco', outDir: coco });
    const c = read(coco, 'coco_train.json') as {
      images: { width: number }[];
      annotations: { bbox: number[]; area: number; caption: string }[];
    };
    expect(c.images).toHaveLength(6);
    expect(c.images[0]!.width).toBe(100);
    expect(c.annotations).toEqual([
      expect.objectContaining({ bbox: [10, 20, 40, 40], area: 1600, caption: 'the square', category_id: 1, iscrowd: 0 }),
    ]);
    t.close();
  });

  it('filters by tag, status and detail score', async () => {
    const { t, ids } = await populated();
    t.ctx.db.prepare('UPDATE examples SET detail_score = id').run();
    const out = tempDir();
    const r = await t.call('exportDataset', {
      format: 'llava',
      outDir: out,
      filter: { tags: ['keep'], status: ['accepted'], minDetail: ids[1]! },
    });
    expect(r.exported).toBe(1);
    expect((read(out, 'train.json') as { id: string }[]).map((x) => x.id)).toEqual([`ex-${ids[6]}`]);
    t.close();
  });

  it('splits by image so no image is in both train and validation, the same way for the same seed', async () => {
    const { t } = await populated();
    const out = tempDir();
    const r = await t.call('exportDataset', { format: 'llava', outDir: out, valFraction: 0.5, seed: 7 });
    expect(r.train + r.val).toBe(12);
    expect(r.val).toBeGreaterThan(0);
    const train = new Set((read(out, 'train.json') as { image: string }[]).map((x) => x.image));
    const val = (read(out, 'val.json') as { image: string }[]).map((x) => x.image);
    expect(val.filter((img) => train.has(img))).toEqual([]);
    const again = await t.call('exportDataset', { format: 'llava', outDir: tempDir(), valFraction: 0.5, seed: 7 });
    expect([again.train, again.val]).toEqual([r.train, r.val]);
    t.close();
  });

  it('rejects records that fail validation, with reasons, and writes the rest', async () => {
    const { t, ids, shas } = await populated();
    await t.call('updateExample', ids[1]!, { turns: [{ question: 'look at <image> here', answer: 'ok' }] });
    t.ctx.db.prepare('INSERT INTO regions (example_id, x1, y1, x2, y2, created_at) VALUES (?, 0, 0, 500, 10, 1)').run(ids[2]!);
    const img = (await t.call('getImage', shas[3]!)).path;
    fs.rmSync(img);
    const r = await t.call('exportDataset', { format: 'llava', outDir: tempDir() });
    const reasons = Object.fromEntries(r.rejected.map((x) => [x.id, x.reason]));
    expect(reasons[`ex-${ids[1]}`]).toMatch(/2 <image> placeholders for 1 image/);
    expect(reasons[`ex-${ids[2]}`]).toMatch(/outside the 100×80 image/);
    expect(reasons[`ex-${ids[3]}`]).toMatch(/missing from the store/);
    expect(reasons[`ex-${ids[9]}`]).toMatch(/missing from the store/);
    expect(r.exported).toBe(8);
    t.close();
  });

  it('never writes outside the chosen folder: relative folder, symlinked images folder, symlinked output file', async () => {
    const { t } = await populated();
    await expect(t.call('exportDataset', { format: 'llava', outDir: 'relative/out' })).rejects.toMatchObject({
      code: 'dataset/path-escape',
    });
    const outside = tempDir('slime-outside-');
    const out1 = tempDir();
    fs.symlinkSync(outside, path.join(out1, 'images'));
    await expect(t.call('exportDataset', { format: 'llava', outDir: out1, overwrite: true })).rejects.toMatchObject({
      code: 'dataset/path-escape',
    });
    expect(fs.readdirSync(outside)).toEqual([]);
    const out2 = tempDir();
    const victim = path.join(outside, 'victim.json');
    fs.writeFileSync(victim, 'keep me');
    fs.symlinkSync(victim, path.join(out2, 'train.json'));
    await t.call('exportDataset', { format: 'llava', outDir: out2, overwrite: true });
    expect(fs.readFileSync(victim, 'utf8')).toBe('keep me');
    expect(fs.lstatSync(path.join(out2, 'train.json')).isFile()).toBe(true);
    t.close();
  });
});
