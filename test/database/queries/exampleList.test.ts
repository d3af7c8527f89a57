// Unit: search (FTS5), filters, sorting and pagination of examples; exact and near duplicates.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ftsQuery } from '../../../database/queries/exampleList.ts';
import { candidatePairs } from '../../../database/queries/duplicates.ts';
import { makePng, openTestDataset } from '../fixtures.ts';

describe('example list', () => {
  it('turns free text into a safe FTS5 query (operators and quotes are just words)', () => {
    expect(ftsQuery('red  dial')).toBe('"red" "dial"*');
    expect(ftsQuery('"NEAR(a b)" OR -x')).toBe('"NEAR" "a" "b" "OR" "x"*');
    expect(ftsQuery('  ')).toBeUndefined();
  });

  it('searches, filters by status/tag/detail, sorts and paginates', async () => {
    const t = openTestDataset();
    const words = ['red dial', 'blue gauge', 'red gauge', 'green dial', 'red needle'];
    const ids = await t.call(
      'createExamples',
      words.map((w, i) => ({
        imageSha256: null,
        turns: [{ question: `What colour is the ${w}?`, answer: `It is ${w.split(' ')[0]}.` }],
        status: i % 2 ? 'accepted' : 'draft',
        tags: i < 3 ? ['gauges'] : [],
      })),
    );
    ids.forEach((id, i) => t.ctx.db.prepare('UPDATE examples SET detail_score = ? WHERE id = ?').run(i === 4 ? null : i / 10, id));
    expect((await t.call('listExamples', { search: 'red' })).items.map((e) => e.id)).toEqual([ids[4], ids[2], ids[0]]);
    expect((await t.call('listExamples', { search: 'gaug' })).total).toBe(2);
    expect((await t.call('listExamples', { search: 'red', status: ['draft'] })).items.map((e) => e.id)).toEqual([ids[4], ids[2], ids[0]]);
    expect((await t.call('listExamples', { status: ['accepted'], tags: ['gauges'] })).items.map((e) => e.id)).toEqual([ids[1]]);
    expect((await t.call('listExamples', { minDetail: 0.15 })).items.map((e) => e.id)).toEqual([ids[3], ids[2]]);
    expect((await t.call('listExamples', { sort: 'detail', order: 'desc' })).items.map((e) => e.id)).toEqual([
      ids[3],
      ids[2],
      ids[1],
      ids[0],
      ids[4],
    ]);
    const page = await t.call('listExamples', { sort: 'created', order: 'asc', offset: 1, limit: 2 });
    expect(page).toMatchObject({ total: 5, offset: 1, limit: 2 });
    expect(page.items.map((e) => e.id)).toEqual([ids[1], ids[2]]);
    expect(page.items[0]).toMatchObject({
      question: 'What colour is the blue gauge?',
      answer: 'It is blue.',
      tags: ['gauges'],
      turnCount: 1,
    });
    t.close();
  });

  it('gives the same order from the FTS-driven path (few hits) and the index-driven path (many hits)', async () => {
    const t = openTestDataset();
    const ids = await t.call(
      'createExamples',
      Array.from({ length: 5200 }, (_, i) => ({
        imageSha256: null,
        turns: [{ question: `alpha ${i % 7 === 0 ? 'beta' : ''}`, answer: 'x' }],
        status: i % 3 ? ('draft' as const) : ('accepted' as const),
      })),
    );
    const broad = await t.call('listExamples', { search: 'alpha', sort: 'status', order: 'asc', offset: 20, limit: 10 });
    const expected = ids
      .map((id, i) => ({ id, status: i % 3 ? 'draft' : 'accepted' }))
      .sort((a, b) => a.status.localeCompare(b.status) || a.id - b.id);
    expect(broad.total).toBe(5200);
    expect(broad.items.map((e) => e.id)).toEqual(expected.slice(20, 30).map((e) => e.id));
    const narrow = await t.call('listExamples', { search: 'beta', sort: 'status', order: 'asc', offset: 20, limit: 10 });
    const betas = expected.filter((e) => (e.id - ids[0]!) % 7 === 0);
    expect(narrow.total).toBe(betas.length);
    expect(narrow.items.map((e) => e.id)).toEqual(betas.slice(20, 30).map((e) => e.id));
    t.close();
  });

  it('finds exact duplicates (same image) and near duplicates (re-encoded image), not unrelated images', async () => {
    const t = openTestDataset();
    const png = await makePng(8, 128, 96);
    const a = await t.call('addImage', new Uint8Array(png), 'a.png');
    const b = await t.call('addImage', new Uint8Array(await sharp(png).jpeg({ quality: 60 }).toBuffer()), 'a.jpg');
    const c = await t.call(
      'addImage',
      new Uint8Array(
        await sharp(await makePng(77, 128, 96))
          .flip()
          .png()
          .toBuffer(),
      ),
      'c.png',
    );
    const ex = (sha: string): { imageSha256: string; turns: { question: string; answer: string }[] } => ({
      imageSha256: sha,
      turns: [{ question: 'q', answer: 'a' }],
    });
    const ids = await t.call('createExamples', [ex(a.sha256), ex(a.sha256), ex(b.sha256), ex(c.sha256)]);
    const groups = await t.call('findDuplicates', { maxDistance: 6 });
    expect(groups).toContainEqual({ kind: 'exact', images: [a.sha256], exampleIds: [ids[0], ids[1]], distance: 0 });
    const near = groups.filter((g) => g.kind === 'near');
    expect(near).toHaveLength(1);
    expect(near[0]!.images.sort()).toEqual([a.sha256, b.sha256].sort());
    expect(near[0]!.exampleIds).toEqual([ids[0], ids[1], ids[2]]);
    t.close();
  });
});

describe('candidatePairs', () => {
  it('finds every pair within the distance that an all-pairs scan finds, on random hashes', () => {
    let seed = 9;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const hex = (): string => Array.from({ length: 16 }, () => (rnd() % 16).toString(16)).join('');
    const flip = (h: string, bits: number): string => {
      let v = BigInt(`0x${h}`);
      for (let k = 0; k < bits; k++) v ^= 1n << BigInt(rnd() % 64);
      return v.toString(16).padStart(16, '0');
    };
    const hashes = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 || i < 1 ? hex() : flip(hex(), 0)));
    for (let i = 0; i < 100; i++) hashes.push(flip(hashes[i]!, rnd() % 8));
    const dist = (a: string, b: string): number => [...(BigInt(`0x${a}`) ^ BigInt(`0x${b}`)).toString(2)].filter((c) => c === '1').length;
    for (const d of [0, 3, 6]) {
      const truth = new Set<string>();
      for (let i = 0; i < hashes.length; i++)
        for (let j = i + 1; j < hashes.length; j++) if (dist(hashes[i]!, hashes[j]!) <= d) truth.add(`${i},${j}`);
      const found = new Set<string>();
      for (const [i, j] of candidatePairs(hashes, d))
        if (dist(hashes[i]!, hashes[j]!) <= d) found.add(`${Math.min(i, j)},${Math.max(i, j)}`);
      expect(truth.size).toBeGreaterThan(0);
      expect([...found].sort()).toEqual([...truth].sort());
    }
  });
});
