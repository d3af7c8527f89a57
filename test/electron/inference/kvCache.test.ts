// Unit: the in-place KV cache on the real slime-tiny decoder — growth keeps the rows, prefix reuse then a divergent
// continuation matches a fresh run, capacity boundaries crossed mid-prefill and mid-decode, the one-user lease.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { loadModel, releaseModel, runEmbed, type LoadedModel } from '../../../electron/inference/model.ts';
import { decoderStep, emptyKv, generateLoop } from '../../../electron/inference/generate.ts';
import { capacityFor, type KvCache } from '../../../electron/inference/kvCache.ts';
import { argmax } from '../../../electron/inference/sample.ts';
import { toAppError } from '../../../electron/shared/errors.ts';
import { greedy as greedyOnModel, maxAbsDiff, promptIds as ids, reuseAcrossBoundary, type GreedyRun } from './kvScenarios.ts';

const DIR = path.resolve(import.meta.dirname, '../../fixtures/slime-tiny');
let model: LoadedModel;

beforeAll(async () => {
  model = await loadModel(DIR, { providers: ['cpu'] });
});
afterAll(() => releaseModel(model));

/** Greedy generation on the fixture (see kvScenarios.ts). */
const greedy = (kv: KvCache, prompt: number[], maxNewTokens = 8): Promise<GreedyRun> => greedyOnModel(model, kv, prompt, maxNewTokens);

describe('capacityFor', () => {
  it('fits the rows with less than one step spare, the step growing like √(2n)', () => {
    for (const n of [1, 15, 16, 17, 100, 1100, 1140, 4000]) {
      const cap = capacityFor(n);
      const step = Math.max(16, Math.ceil(Math.sqrt(2 * n) / 16) * 16);
      expect(cap).toBeGreaterThanOrEqual(n);
      expect(cap - n).toBeLessThan(step);
      expect(cap % step).toBe(0);
    }
    expect(capacityFor(1100)).toBe(1104);
  });
});

describe('KvCache on the slime-tiny decoder', () => {
  it('growth keeps every held row and the next step matches a cache that never grew', async () => {
    const prompt = ids(20, 1);
    const grown = emptyKv(model);
    const roomy = emptyKv(model);
    roomy.reserve(300);
    const e = await runEmbed(model, prompt);
    const rows = prompt.map((i) => `t${i}`);
    await decoderStep(model, grown, e, rows);
    await decoderStep(model, roomy, e, rows);
    const before = Array.from({ length: 20 }, (_, r) => grown.peek(1, 1, 1, r));
    const cap = grown.capacity;
    grown.reserve(cap + 1);
    expect(grown.capacity).toBeGreaterThan(cap);
    for (let r = 0; r < 20; r++) expect(grown.peek(1, 1, 1, r)).toEqual(before[r]);
    for (let r = 0; r < 20; r++) expect(grown.peek(0, 0, 0, r)).toEqual(roomy.peek(0, 0, 0, r));
    const next = await runEmbed(model, [42]);
    const a = await decoderStep(model, grown, next, ['t42']);
    const b = await decoderStep(model, roomy, next, ['t42']);
    expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-6);
  });

  it('prefix reuse then a divergent, shorter continuation gives the same logits and tokens as a fresh run', async () => {
    const shared = ids(40, 2);
    const kv = emptyKv(model);
    await greedy(kv, [...shared, ...ids(30, 3)], 12);
    expect(kv.length).toBe(40 + 30 + 11);
    const second = [...shared, ...ids(5, 4)];
    const warm = await greedy(kv, second);
    const cold = await greedy(emptyKv(model), second);
    expect(warm.reused).toBe(40);
    expect(cold.reused).toBe(0);
    expect(warm.tokens).toEqual(cold.tokens);
    expect(maxAbsDiff(warm.first, cold.first)).toBeLessThanOrEqual(1e-5);
    expect(kv.length).toBe(second.length + warm.tokens.length - 1);
  });

  it('a capacity boundary crossed in the middle of a prefill keeps the reused rows', async () => {
    const r = await reuseAcrossBoundary(model, { shared: ids(30, 5), primeTail: [], primeTokens: 1, over: 20, seed: 6 });
    expect(r.warm.reused).toBe(30);
    expect(r.capacityAfter).toBeGreaterThan(r.capacityBefore);
    expect(r.warm.tokens).toEqual(r.cold.tokens);
    expect(maxAbsDiff(r.warm.first, r.cold.first)).toBeLessThanOrEqual(1e-5);
  });

  it('a capacity boundary crossed in the middle of the decode gives the tokens of a cache that never grew', async () => {
    const prompt = ids(capacityFor(40) - 3, 7);
    const kv = emptyKv(model);
    const roomy = emptyKv(model);
    roomy.reserve(400);
    const grew = await greedy(kv, prompt, 10);
    const fixed = await greedy(roomy, prompt, 10);
    expect(kv.capacity).toBeGreaterThan(capacityFor(prompt.length));
    expect(roomy.capacity).toBe(capacityFor(400));
    expect(grew.tokens).toEqual(fixed.tokens);
  });

  it('refuses a second user while one runs, and the first one is unaffected', async () => {
    const prompt = ids(50, 8);
    const other = ids(50, 9);
    const [e1, e2] = [await runEmbed(model, prompt), await runEmbed(model, other)];
    const kv = emptyKv(model);
    const first = greedyOnModel(model, kv, prompt, 8, e1);
    const second = greedyOnModel(model, kv, other, 8, e2).catch((e: unknown) => toAppError(e));
    expect(await second).toMatchObject({ code: 'inference/failed', message: expect.stringContaining('in use by generation') });
    expect((await first).tokens).toEqual((await greedy(emptyKv(model), prompt)).tokens);
    expect(kv.leasedBy).toBeNull();
  });

  it('a cancelled generation leaves only rows that were computed', async () => {
    const prompt = ids(30, 10);
    const kv = emptyKv(model);
    const controller = new AbortController();
    const run = generateLoop(
      model,
      kv,
      await runEmbed(model, prompt),
      prompt.map((i) => `t${i}`),
      {
        maxNewTokens: 50,
        stopIds: new Set<number>(),
        signal: controller.signal,
        pick: (l) => argmax(l),
        onToken: (_id, n) => n === 3 && controller.abort(),
      },
    );
    expect(toAppError(await run.catch((e: unknown) => e)).code).toBe('inference/cancelled');
    expect(kv.length).toBe(30 + 3);
    expect(kv.leasedBy).toBeNull();
    const warm = await greedy(kv, prompt);
    expect(warm.reused).toBe(29);
    expect(warm.tokens).toEqual((await greedy(emptyKv(model), prompt)).tokens);
  });

  it('stops at llm.max_positions (the rotary tables) even without a context limit, and refuses a longer prompt', async () => {
    const limit = model.manifest.llm.max_positions;
    const kv = emptyKv(model);
    const near = await generateLoop(
      model,
      kv,
      await runEmbed(model, ids(limit - 4, 11)),
      ids(limit - 4, 11).map((i) => `t${i}`),
      {
        maxNewTokens: 50,
        stopIds: new Set<number>(),
        signal: new AbortController().signal,
        pick: (l) => argmax(l),
        onToken: () => undefined,
        contextLimit: Infinity,
      },
    );
    expect([near.stopReason, near.tokens.length, kv.length]).toEqual(['context', 5, limit]);
    const over = ids(limit + 1, 12);
    const e = await decoderStep(
      model,
      emptyKv(model),
      await runEmbed(model, over),
      over.map((i) => `t${i}`),
    ).catch((t: unknown) => toAppError(t));
    expect(e).toMatchObject({ code: 'prompt/too-long' });
  });
});
