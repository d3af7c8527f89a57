// Unit: the kept-set override on the slime-tiny model — a forced set changes exactly the local rows it names, keep =
// every index is today's keep-all bit for bit, keep = [] is score's global-only path, bad sets are refused by code;
// first-step probabilities and the sweep's figures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Engine } from '../../../electron/inference/engine.ts';
import { loadModel, releaseModel, type LoadedModel } from '../../../electron/inference/model.ts';
import { FeatureCache } from '../../../electron/inference/encode.ts';
import { prepare, type AskArgs } from '../../../electron/inference/answer.ts';
import { assemble } from '../../../electron/inference/assemble.ts';
import { emptyKv, generateLoop } from '../../../electron/inference/generate.ts';
import { argmax } from '../../../electron/inference/sample.ts';
import { divergeAt, sweepPlan } from '../../../electron/inference/sweep.ts';
import { askRequestSchema } from '../../../electron/shared/ipc/inference.ts';
import { toAppError } from '../../../electron/shared/errors.ts';
import { inspectionSummary } from '../../../database/provenance.ts';

const MODEL = path.resolve(import.meta.dirname, '../../fixtures/slime-tiny');
const IMAGE = path.join(MODEL, 'images', 'wide.png');
const Q = 'What color is the big circle?';
const live = (): AbortSignal => new AbortController().signal;
const none = (): void => undefined;
let model: LoadedModel;
const engine = new Engine();

beforeAll(async () => {
  model = await loadModel(MODEL, { providers: ['cpu'] });
  await engine.load({ modelDir: MODEL, providers: ['cpu'] });
});
afterAll(async () => {
  await releaseModel(model);
  await engine.unload();
});

const args = (selector: AskArgs['selector'], extra: Partial<AskArgs> = {}): AskArgs =>
  askRequestSchema.parse({ requestId: 'k', image: { path: IMAGE }, question: Q, selector, sampling: { maxNewTokens: 6 }, ...extra });

/** Assembled rows, their embeddings, the first-step logits and greedy tokens on cold caches. */
async function run(selector: AskArgs['selector']) {
  const p = await prepare(model, new FeatureCache(), args(selector), live(), none);
  let first = new Float32Array(0);
  const loop = await generateLoop(model, emptyKv(model), p.seq.embeds, p.seq.rows, {
    maxNewTokens: 6,
    stopIds: new Set(model.manifest.special_tokens.eos),
    signal: live(),
    pick: (l) => argmax(l),
    onToken: none,
    onFirstLogits: (l) => (first = l.slice()),
  });
  return { ...p, first, tokens: loop.tokens };
}

describe('kept-set override', () => {
  it('a forced set changes exactly the local rows it names, nothing else', async () => {
    const all = await run({ topP: 1 });
    const forced = await run({ keep: [9, 2, 30] });
    const H = model.manifest.llm.hidden;
    const M = all.selection.scores.length;
    expect(M).toBeGreaterThan(30);
    const localRow = (r: string): number | null => (r.startsWith('l') ? Number(r.split(':')[1]) : null);
    const expected = all.seq.rows.filter((r) => localRow(r) === null || [2, 9, 30].includes(localRow(r)!));
    expect(forced.seq.rows).toEqual(expected);
    for (const [i, r] of forced.seq.rows.entries()) {
      const j = all.seq.rows.indexOf(r);
      expect(forced.seq.embeds.subarray(i * H, (i + 1) * H)).toEqual(all.seq.embeds.subarray(j * H, (j + 1) * H));
    }
    expect([...forced.selection.kept]).toEqual([2, 9, 30]);
    expect(forced.selection.scores).toEqual(all.selection.scores);
    expect(forced.override).toEqual({ kind: 'keep', count: 3 });
  });

  it('keep = every index is today’s keep-all, bit for bit (rows, logits, tokens)', async () => {
    const all = await run({ topP: 1 });
    const keep = Array.from({ length: all.selection.scores.length }, (_, j) => j).reverse();
    const forced = await run({ keep });
    expect(forced.seq.rows).toEqual(all.seq.rows);
    expect(Buffer.from(forced.seq.embeds.buffer).equals(Buffer.from(all.seq.embeds.buffer))).toBe(true);
    expect(Buffer.from(forced.first.buffer).equals(Buffer.from(all.first.buffer))).toBe(true);
    expect(forced.tokens).toEqual(all.tokens);
  });

  it('keep = [] is the global-only path score uses: no local rows and no separator', async () => {
    const g = await run({ keep: [] });
    const viaScore = assemble(
      g.prompt.ids,
      g.prompt.text,
      model.manifest.llm.hidden,
      g.enc.features,
      g.selection.kept,
      true,
      model.manifest.separator_id,
    );
    expect(g.seq.rows).toEqual(viaScore.rows);
    expect(g.seq.embeds).toEqual(viaScore.embeds);
    expect(g.seq.rows.some((r) => r.startsWith('l') || r === `t${model.manifest.separator_id}`)).toBe(false);
    const r = await engine.ask(args({ keep: [] }), live(), none);
    expect(r.inspection.tokens).toMatchObject({ localAfter: 0, separator: 0, prefill: g.seq.rows.length });
    expect(r.inspection.selector.override).toEqual({ kind: 'keep', count: 0 });
    expect(inspectionSummary(r.inspection)?.selector).toMatchObject({ kept: 0, override: { kind: 'keep', count: 0 } });
    expect(r.inspection.selector.kept.every((k) => k === 0)).toBe(true);
    expect(r.tokenIds).toEqual(g.tokens);
  });

  it.each([
    ['out of range', [0, 100_000], 'index 100000 is outside'],
    ['duplicated', [3, 3], 'unique'],
    ['negative', [-1], 'selector.keep'],
    ['fractional', [1.5], 'selector.keep'],
  ])('refuses a %s set with ipc/bad-args naming selector.keep', async (_what, keep, says) => {
    const e = await engine
      .ask({ requestId: 'bad', image: { path: IMAGE }, question: Q, selector: { keep } }, live(), none)
      .catch(toAppError);
    expect(e).toMatchObject({ code: 'ipc/bad-args' });
    expect((e as { message: string }).message).toContain('selector.keep');
    expect((e as { message: string }).message).toContain(says);
  });

  it('reports first-step probabilities: 5 best, descending, and the probe', async () => {
    const plain = await engine.ask(args({}), live(), none);
    const top = plain.inspection.firstStep!.top;
    expect(top).toHaveLength(5);
    for (let i = 1; i < top.length; i++) expect(top[i]!.prob).toBeLessThanOrEqual(top[i - 1]!.prob);
    expect(top.reduce((a, t) => a + t.prob, 0)).toBeLessThanOrEqual(1 + 1e-12);
    expect(top[0]!.id).toBe(plain.tokenIds[0] ?? top[0]!.id);
    expect(plain.inspection.selector.override).toBeNull();
    const probed = await engine.ask(args({ keep: [] }, { probeTokenId: top[0]!.id }), live(), none);
    const again = probed.inspection.firstStep!;
    expect(again.probe!.id).toBe(top[0]!.id);
    expect(again.top.find((t) => t.id === top[0]!.id)?.prob ?? again.probe!.prob).toBe(again.probe!.prob);
  });
});

describe('sweep', () => {
  it('plans global, p0.5, p0.8, p0.95, all (+ the other mode) and measures divergence', () => {
    expect(sweepPlan({ mode: 'legacy', top_p: 0.95 }, false).plan.map((s) => s.id)).toEqual(['global', 'p0.5', 'p0.8', 'p0.95', 'all']);
    expect(
      sweepPlan({ mode: 'legacy', top_p: 0.95 }, true)
        .plan.map((s) => s.id)
        .slice(5),
    ).toEqual(['single:p0.5', 'single:p0.8', 'single:p0.95']);
    expect(sweepPlan({ mode: 'single', top_p: 0.9 }, false)).toMatchObject({ shipped: 'p0.9' });
    expect([divergeAt('Red.', 'Red.'), divergeAt('Red.', 'Blue.'), divergeAt('Red', 'Red.')]).toEqual([null, 0, 3]);
  });

  it('runs each setting through the ask path: the same answers as plain asks, kept counts, instability', async () => {
    const progress: number[] = [];
    const s = await engine.sweep({ requestId: 'sw', image: { path: IMAGE }, question: Q, maxNewTokens: 6 }, live(), (p) =>
      progress.push((p as { done: number }).done),
    );
    expect(s.settings.map((x) => x.id)).toEqual(['global', 'p0.5', 'p0.8', 'p0.95', 'all']);
    expect(s.shipped).toBe('p0.95');
    expect(progress).toEqual([0, 1, 2, 3, 4, 5]);
    const byId = Object.fromEntries(s.settings.map((x) => [x.id, x]));
    const ask = (selector: AskArgs['selector']) => engine.ask(args(selector), live(), none);
    const [g, p5, shipped, all] = await Promise.all([ask({ keep: [] }), ask({ topP: 0.5 }), ask({}), ask({ topP: 1 })]);
    expect([byId.global!.tokenIds, byId['p0.5']!.tokenIds, byId['p0.95']!.tokenIds, byId.all!.tokenIds]).toEqual([
      g.tokenIds,
      p5.tokenIds,
      shipped.tokenIds,
      all.tokenIds,
    ]);
    expect(byId.global!.keptLocal).toBe(0);
    expect(byId.all!.keptLocal).toBe(all.inspection.tokens.localBefore);
    expect(byId['p0.95']!.divergeAt).toBeNull();
    const differing = s.settings.filter((x) => x.id !== 'p0.95' && x.answer !== byId['p0.95']!.answer).length;
    expect(s.instability).toBe(differing / 4);
    expect(s.margin).toBeCloseTo(shipped.inspection.firstStep!.top[0]!.prob - shipped.inspection.firstStep!.top[1]!.prob, 12);
    for (const x of s.settings) expect(x.ttftMs).toBeGreaterThan(0);
  });
});
