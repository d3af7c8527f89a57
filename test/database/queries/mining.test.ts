// Unit (real SQLite): mining jobs and pairs — pairs keyed (job, image, question) are added once, a pair completes
// exactly once (example + score + signals + done mark together), the review queue sorts by the rank with OOD rows
// last, evidence coverage follows the regions, and similar images / reasoned duplicates come from stored embeddings.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { makePng, openTestDataset, type TestDataset } from '../fixtures.ts';
import { needsDetail } from '../../../electron/shared/mining/rank.ts';
import type { CompletedPair, ReasonedDuplicateGroup } from '../../../electron/shared/ipc/mining.ts';
import { migrate, schemaVersion } from '../../../database/migrations/runner.ts';

const settings = { questions: ['What colour?', 'How many?'] };

/** An inspection record fragment: a 2×1 grid of 4×4 local cells over a 224×112 canvas, image filling it. */
function inspection(kept: number[]): unknown {
  const flags = Array.from({ length: 32 }, (_, j) => (kept.includes(j) ? 1 : 0));
  return {
    original: { width: 224, height: 112 },
    grid: { cols: 2, rows: 1, tiles: 2 },
    canvas: { width: 224, height: 112, imageX: 0, imageY: 0, imageWidth: 224, imageHeight: 112 },
    localGrid: 4,
    tokens: { global: 64, localBefore: 32, localAfter: kept.length },
    selector: { mode: 'legacy', topP: 0.95, temperature: 1, scores: [], probs: [], kept: flags },
  };
}

async function setup(t: TestDataset, images = 3): Promise<{ jobId: number; shas: string[] }> {
  const shas: string[] = [];
  for (let i = 0; i < images; i++)
    shas.push((await t.call('addImage', new Uint8Array(await makePng(i + 1, 224, 112)), `img${i}.png`)).sha256);
  const job = await t.call('createMiningJob', { folder: '/data/f', modelDir: '/m', manifestSha256: 'abc', settings });
  const pairs = shas.flatMap((sha, i) => settings.questions.map((question) => ({ imageSha256: sha, question, file: `img${i}.png` })));
  expect((await t.call('addMiningPairs', job.id, pairs)).added).toBe(pairs.length);
  expect((await t.call('addMiningPairs', job.id, pairs)).added).toBe(0);
  await t.call('finishMiningScan', job.id, shas.length, []);
  return { jobId: job.id, shas };
}

function completed(
  jobId: number,
  sha: string,
  question: string,
  s: { detail: number; inDist: boolean | null; kept?: number[] },
): CompletedPair {
  const rank = needsDetail({ detail: s.detail, instability: null, margin: null, inDist: s.inDist });
  return {
    jobId,
    imageSha256: sha,
    question,
    answer: `answer to ${question}`,
    provenance: { modelDir: '/m' },
    inspection: inspection(s.kept ?? [0, 1, 2, 3]),
    tags: ['mined'],
    detail: { full: -1 + s.detail, globalOnly: -1 },
    signals: {
      detail: s.detail,
      instability: null,
      sweep: null,
      margin: null,
      oodScore: s.inDist === false ? 0.9 : 0.1,
      inDist: s.inDist,
      needsDetail: rank.needs,
      missing: rank.missing,
    },
  };
}

describe('mining queries', () => {
  it('migrates a version-4 file with examples to 6', async () => {
    const t = openTestDataset();
    expect(schemaVersion(t.ctx.db)).toBe(6);
    expect(migrate(t.ctx.db)).toEqual({ from: 6, to: 6 });
    t.close();
  });

  it('completes each pair exactly once and lists the rest in image order', async () => {
    const t = openTestDataset();
    const { jobId, shas } = await setup(t);
    const pending = await t.call('nextMiningPairs', jobId, 100);
    expect(pending.map((p) => p.imageSha256)).toEqual([...pending.map((p) => p.imageSha256)].sort());
    const first = await t.call('completeMiningPair', completed(jobId, shas[0]!, 'How many?', { detail: 1, inDist: true }));
    const again = await t.call('completeMiningPair', completed(jobId, shas[0]!, 'How many?', { detail: 5, inDist: true }));
    expect(first.already).toBe(false);
    expect(again).toEqual({ exampleId: first.exampleId, already: true });
    const example = await t.call('getExample', first.exampleId);
    expect(example.answerSource).toBe('model');
    expect(example.detailScore).toBeCloseTo(1, 9);
    expect(example.provenance.miningJobId).toBe(jobId);
    expect((example.provenance.inspection as { selector: { kept: number } }).selector.kept).toBe(4);
    expect(example.tags).toEqual(['mined']);
    const job = await t.call('getMiningJob', jobId);
    expect(job.pairs).toEqual({ total: 6, pending: 5, done: 1, failed: 0 });
    await expect(t.call('completeMiningPair', completed(jobId, shas[0]!, 'Not asked?', { detail: 1, inDist: true }))).rejects.toMatchObject(
      {
        code: 'db/not-found',
      },
    );
    expect(await t.call('failMiningPair', jobId, shas[1]!, 'How many?', 'image/corrupt: bad')).toBe(true);
    expect((await t.call('getMiningJob', jobId)).pairs.failed).toBe(1);
    expect((await t.call('nextMiningPairs', jobId, 100)).length).toBe(4);
    t.close();
  });

  it('sorts the review queue by need with OOD rows last, and flags dropped evidence from the regions', async () => {
    const t = openTestDataset();
    const { jobId, shas } = await setup(t);
    const a = await t.call('completeMiningPair', completed(jobId, shas[0]!, 'What colour?', { detail: 0.2, inDist: true }));
    const b = await t.call('completeMiningPair', completed(jobId, shas[1]!, 'What colour?', { detail: 3, inDist: true }));
    const c = await t.call('completeMiningPair', completed(jobId, shas[2]!, 'What colour?', { detail: 9, inDist: false }));
    const queue = await t.call('reviewQueue', { jobId });
    expect(queue.items.map((i) => i.exampleId)).toEqual([b.exampleId, a.exampleId, c.exampleId]);
    expect(queue.items[2]!.signals.needsDetail).toBeLessThan(0);
    expect(queue.items[0]!.signals.missing).toEqual(['instability', 'margin']);
    expect((await t.call('reviewQueue', { inDist: false })).items.map((i) => i.exampleId)).toEqual([c.exampleId]);
    // Kept cells 0..3 are the top row of the left tile (x 0–112, y 0–28 in image pixels).
    await t.call('addRegion', a.exampleId, { x1: 0, y1: 0, x2: 100, y2: 20 });
    await t.call('addRegion', b.exampleId, { x1: 120, y1: 60, x2: 220, y2: 110 });
    const dropped = await t.call('reviewQueue', { evidenceDropped: true });
    expect(dropped.items.map((i) => i.exampleId)).toEqual([b.exampleId]);
    expect(dropped.items[0]!.coverage).toEqual([{ regionId: expect.any(Number), cells: 8, kept: 0, share: 0 }]);
    const kept = await t.call('reviewQueue', { evidenceDropped: false });
    expect(kept.items.map((i) => i.exampleId)).toEqual([a.exampleId]);
    expect(kept.items[0]!.coverage![0]).toMatchObject({ cells: 4, kept: 4, share: 1 });
    // The editor's view of one example: per-region coverage and the verdict; null without regions.
    expect(await t.call('evidenceCoverage', b.exampleId, {})).toEqual({ coverage: dropped.items[0]!.coverage, dropped: true });
    expect((await t.call('evidenceCoverage', a.exampleId, {}))?.dropped).toBe(false);
    expect((await t.call('evidenceCoverage', b.exampleId, { coverageBelow: 0 }))?.dropped).toBe(false);
    expect(await t.call('evidenceCoverage', c.exampleId, {})).toBeNull();
    // The dataset list filters on the same verdict (c has no region: it matches neither), and follows region edits.
    const listed = async (evidenceDropped: boolean) => (await t.call('listExamples', { evidenceDropped })).items.map((e) => e.id);
    expect([await listed(true), await listed(false)]).toEqual([[b.exampleId], [a.exampleId]]);
    expect((await t.call('listExamples', { evidenceDropped: true, status: ['accepted'] })).total).toBe(0);
    await t.call('addRegion', a.exampleId, { x1: 120, y1: 0, x2: 220, y2: 20 });
    expect([await listed(true), await listed(false)]).toEqual([[b.exampleId, a.exampleId].sort((x, y) => y - x), []]);
    t.close();
  });

  it('finds similar images by stored embeddings and groups duplicates with their reason', async () => {
    const t = openTestDataset();
    const { jobId, shas } = await setup(t);
    const unit = (v: number[]): number[] => v.map((x) => x / Math.hypot(...v));
    await t.call('storeEmbedding', shas[0]!, 'abc', unit([1, 0, 0, 0]));
    await t.call('storeEmbedding', shas[1]!, 'abc', unit([0.9, 0.1, 0, 0]));
    await t.call('storeEmbedding', shas[2]!, 'abc', unit([0, 0, 1, 0]));
    const similar = await t.call('similarImages', shas[0]!, { k: 5 });
    expect(similar.map((s) => s.sha256)).toEqual([shas[1], shas[2]]);
    expect(similar[0]!.similarity).toBeCloseTo(0.9 / Math.hypot(0.9, 0.1), 5);
    await expect(t.call('similarImages', 'f'.repeat(64), {})).rejects.toMatchObject({ code: 'db/not-found' });
    await t.call('completeMiningPair', completed(jobId, shas[0]!, 'What colour?', { detail: 1, inDist: true }));
    await t.call('completeMiningPair', completed(jobId, shas[0]!, 'How many?', { detail: 1, inDist: true }));
    await t.call('createExample', { imageSha256: shas[0]!, turns: [{ question: 'what colour?', answer: 'red' }] });
    const groups = await t.call('reasonedDuplicates', {});
    expect(groups.find((g) => g.reason === 'same-image-same-question')?.exampleIds).toHaveLength(2);
    expect(groups.find((g) => g.reason === 'same-image')?.detail).toMatch(/2 different questions/);
    t.close();
  });

  it('lists the examples missing signals, stores the pass result with its detail score, and counts what is left', async () => {
    const t = openTestDataset();
    const { jobId, shas } = await setup(t);
    const withAll = completed(jobId, shas[0]!, 'What colour?', { detail: 1, inDist: true });
    withAll.signals = { ...withAll.signals, instability: 0.25, margin: 0.5, missing: [] };
    await t.call('completeMiningPair', withAll);
    const partial = completed(jobId, shas[1]!, 'What colour?', { detail: 1, inDist: true, kept: [0] });
    partial.detail = null;
    partial.signals = { ...partial.signals, detail: null, missing: ['detail', 'instability', 'margin'] };
    const { exampleId } = await t.call('completeMiningPair', partial);
    expect((await t.call('getMiningJob', jobId)).signalsMissing).toBe(1);
    expect(await t.call('examplesMissingSignals', jobId, ['ood'])).toEqual([]);
    const [work] = await t.call('examplesMissingSignals', jobId, ['detail']);
    expect(work).toMatchObject({ exampleId, imageSha256: shas[1], question: 'What colour?', answer: 'answer to What colour?' });
    expect(work!.imagePath).toMatch(new RegExp(`${shas[1]}\\.png$`));
    const signals = { ...work!.signals, detail: 2, instability: 0.5, margin: 0.1, needsDetail: 0.7, missing: [] };
    await t.call('updateSignals', { exampleId, detail: { full: -1, globalOnly: -3 }, signals });
    expect((await t.call('getMiningJob', jobId)).signalsMissing).toBe(0);
    const item = (await t.call('reviewQueue', { jobId })).items.find((i) => i.exampleId === exampleId)!;
    expect(item.signals).toMatchObject({ detail: 2, instability: 0.5, margin: 0.1, needsDetail: 0.7, missing: [] });
    // The kept selection of the answer is left as it was (coverage still computable).
    await t.call('addRegion', exampleId, { x1: 0, y1: 0, x2: 10, y2: 10 });
    expect((await t.call('reviewQueue', { jobId, evidenceDropped: false })).items.map((i) => i.exampleId)).toContain(exampleId);
    await expect(t.call('updateSignals', { exampleId: 9999, detail: null, signals })).rejects.toMatchObject({ code: 'db/not-found' });
    t.close();
  });

  it('groups a re-encoded copy as a near-identical image, confirmed by the embeddings, with its ids sorted', async () => {
    const t = openTestDataset();
    const { shas } = await setup(t);
    const jpeg = await sharp(await makePng(1, 224, 112))
      .jpeg({ quality: 85 })
      .toBuffer();
    const copy = (await t.call('addImage', new Uint8Array(jpeg), 'copy.jpg')).sha256;
    const later = await t.call('createExample', { imageSha256: copy, turns: [{ question: 'Where?', answer: 'left' }] });
    const first = await t.call('createExample', { imageSha256: shas[0]!, turns: [{ question: 'What?', answer: 'a square' }] });
    const near = (groups: ReasonedDuplicateGroup[]) => groups.filter((g) => g.reason === 'near-identical-image' && g.images.includes(copy));
    // No embeddings: the perceptual hash alone decides.
    const byHash = near(await t.call('reasonedDuplicates', {}));
    expect(byHash).toHaveLength(1);
    expect(byHash[0]!.images.sort()).toEqual([shas[0]!, copy].sort());
    expect(byHash[0]!.exampleIds).toEqual([later.id, first.id].sort((a, b) => a - b));
    expect(byHash[0]!.detail).toMatch(/within \d+ bits of perceptual hash$/);
    // Both embedded: the cosine confirms (or vetoes) and is said.
    await t.call('storeEmbedding', shas[0]!, 'abc', [1, 0, 0, 0]);
    await t.call('storeEmbedding', copy, 'abc', [0.995, Math.sqrt(1 - 0.995 ** 2), 0, 0]);
    expect(near(await t.call('reasonedDuplicates', {}))[0]!.detail).toMatch(/embedding cosine 0\.9950$/);
    expect(near(await t.call('reasonedDuplicates', { minCosine: 0.999 }))).toEqual([]);
    // A third copy joins the same group (transitively), not a second pair.
    const third = (await t.call('addImage', new Uint8Array(await sharp(jpeg).jpeg({ quality: 60 }).toBuffer()), 'third.jpg')).sha256;
    const last = await t.call('createExample', { imageSha256: third, turns: [{ question: 'Which?', answer: 'one' }] });
    const grouped = near(await t.call('reasonedDuplicates', {}));
    expect(grouped).toHaveLength(1);
    expect(grouped[0]!.images.sort()).toEqual([shas[0]!, copy, third].sort());
    expect(grouped[0]!.exampleIds).toContain(last.id);
    expect(grouped[0]!.detail).toMatch(/^3 images, each within \d+ bits of perceptual hash of another, embedding cosine ≥ 0\.9950$/);
    t.close();
  });
});
