// Unit: the occlusion job on the slime-tiny model — groups of kept cells, the agreement figure's definition, every
// group's log-probability equal to a cold teacher-forced run without those cells (so the KV prefix reuse is exact
// enough), the baseline equal to the answer's own first-step probability, progress and cancel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Engine } from '../../../electron/inference/engine.ts';
import { loadModel, releaseModel, runEmbed, type LoadedModel } from '../../../electron/inference/model.ts';
import { FeatureCache } from '../../../electron/inference/encode.ts';
import { prepare } from '../../../electron/inference/answer.ts';
import { assemble } from '../../../electron/inference/assemble.ts';
import { meanLogLikelihood } from '../../../electron/inference/score.ts';
import { agreementOf, cellGroups } from '../../../electron/inference/occlusion.ts';
import { askRequestSchema } from '../../../electron/shared/ipc/inference.ts';
import { toAppError } from '../../../electron/shared/errors.ts';

const MODEL = path.resolve(import.meta.dirname, '../../fixtures/slime-tiny');
const IMAGE = { path: path.join(MODEL, 'images', 'wide.png') };
const Q = 'How many circles are there?';
const live = (): AbortSignal => new AbortController().signal;
const none = (): void => undefined;
/** Written tolerance: cached-prefix vs cold prefill of the same rows on onnxruntime CPU (fp32), in log-probability. */
const TOL_LOGP = 1e-4;
const engine = new Engine();
let model: LoadedModel;

beforeAll(async () => {
  model = await loadModel(MODEL, { providers: ['cpu'] });
  await engine.load({ modelDir: MODEL, providers: ['cpu'] });
});
afterAll(async () => {
  await releaseModel(model);
  await engine.unload();
});

describe('occlusion groups and agreement', () => {
  it('groups kept cells per tile and per 2×2 block on the raster grid', () => {
    // 2×1 tiles of a 4×4 query grid: raster width 8. Cells 0 (tile 0, block 0), 3 (tile 0, block 1), 4 (tile 1, block 0),
    // 27 (row 3, col 3: tile 0, block 3), 31 (tile 1, block 3).
    const kept = Int32Array.from([0, 3, 4, 27, 31]);
    expect(cellGroups(kept, 2, 4, 'tile')).toEqual([
      { label: 'tile 0', tile: 0, cells: [0, 3, 27] },
      { label: 'tile 1', tile: 1, cells: [4, 31] },
    ]);
    expect(cellGroups(kept, 2, 4, 'block').map((g) => [g.label, g.cells])).toEqual([
      ['tile 0 block 0', [0]],
      ['tile 0 block 1', [3]],
      ['tile 0 block 3', [27]],
      ['tile 1 block 0', [4]],
      ['tile 1 block 3', [31]],
    ]);
  });

  it('agreement is precision at k = max(1, ⌈G/4⌉) of selector mass against drop', () => {
    const g = (drop: number, selectorMass: number) => ({ drop, selectorMass });
    expect(agreementOf([g(1, 0.9), g(0, 0.1), g(0.5, 0), g(0.2, 0)])).toMatchObject({ k: 1, value: 1, selectorTop: [0], dropTop: [0] });
    expect(agreementOf([g(0, 0.9), g(1, 0.1), g(0.5, 0), g(0.2, 0), g(0, 0)])).toMatchObject({ k: 2, value: 0.5, selectorTop: [0, 1] });
    expect(agreementOf([g(0, 0.9), g(1, 0.1), g(0.5, 0), g(0.2, 0), g(0, 0)]).dropTop).toEqual([1, 2]);
    expect(agreementOf([g(0, 0.9), g(0, 0.8), g(0.5, 0), g(0.2, 0), g(0, 0)]).value).toBe(0);
    expect(agreementOf([])).toEqual({ k: 0, value: null, selectorTop: [], dropTop: [] });
  });
});

describe('occlusion job', () => {
  it('measures each tile’s drop exactly as a cold run without its cells, reusing the KV prefix', async () => {
    const asked = await engine.ask({ requestId: 'a', image: IMAGE, question: Q, sampling: { maxNewTokens: 3 } }, live(), none);
    const done: number[] = [];
    const occ = await engine.occlusion({ requestId: 'o', image: IMAGE, question: Q, tokenIds: asked.tokenIds }, live(), (p) =>
      done.push((p as { done: number }).done),
    );
    expect(occ.groups.map((g) => g.tile)).toEqual(
      [0, 1, 2, 3, 4, 5].filter((t) => asked.inspection.selector.kept.some((k, j) => k && asked.inspection.selector.tile[j] === t)),
    );
    expect(done).toEqual(Array.from({ length: occ.groups.length + 1 }, (_, i) => i));
    expect(occ.baseline.keptLocal).toBe(asked.inspection.tokens.localAfter);
    expect(occ.rows.reused).toBeGreaterThan(occ.groups.length * 20);

    const p = await prepare(model, new FeatureCache(), askRequestSchema.parse({ requestId: 'p', image: IMAGE, question: Q }), live(), none);
    const ids = asked.tokenIds;
    const embeds = await runEmbed(model, ids);
    const cold = async (kept: Int32Array): Promise<number> => {
      const seq = assemble(
        p.prompt.ids,
        p.prompt.text,
        model.manifest.llm.hidden,
        p.enc.features,
        kept,
        false,
        model.manifest.separator_id,
      );
      return (await meanLogLikelihood(model, seq.embeds, seq.rows, ids, embeds, live())) * ids.length;
    };
    expect(Math.abs(occ.baseline.logProb - (await cold(p.selection.kept)))).toBeLessThanOrEqual(TOL_LOGP);
    for (const g of occ.groups) {
      const want = await cold(p.selection.kept.filter((j) => !g.cells.includes(j)));
      expect(Math.abs(g.logProb - want), g.label).toBeLessThanOrEqual(TOL_LOGP);
      expect(g.drop).toBeCloseTo(occ.baseline.logProb - g.logProb, 12);
      expect(g.selectorMass).toBeCloseTo(
        g.cells.reduce((a, j) => a + asked.inspection.selector.probs[j]!, 0),
        12,
      );
    }
    const nulls = occ.cellDrop.filter((d) => d === null).length;
    expect(nulls).toBe(asked.inspection.tokens.localBefore - asked.inspection.tokens.localAfter);
    expect(occ.agreement.k).toBe(Math.max(1, Math.ceil(occ.groups.length / 4)));
  });

  it('the baseline of a one-token answer is the log of its first-step probability', async () => {
    const asked = await engine.ask({ requestId: 'b', image: IMAGE, question: Q, sampling: { maxNewTokens: 1 } }, live(), none);
    const occ = await engine.occlusion(
      { requestId: 'o1', image: IMAGE, question: Q, tokenIds: asked.tokenIds, granularity: 'block' },
      live(),
      none,
    );
    expect(occ.baseline.logProb).toBeCloseTo(Math.log(asked.inspection.firstStep!.top[0]!.prob), 5);
    expect(occ.groups.length).toBeGreaterThan(6);
    expect(occ.groups.every((g) => g.label.includes('block'))).toBe(true);
  });

  it('a global-only answer has nothing to occlude; a cancelled job fails with inference/cancelled', async () => {
    const g = await engine.occlusion({ requestId: 'g', image: IMAGE, question: Q, tokenIds: [5], selector: { keep: [] } }, live(), none);
    expect(g.groups).toEqual([]);
    expect(g.agreement.value).toBeNull();
    const c = new AbortController();
    const run = engine.occlusion({ requestId: 'c', image: IMAGE, question: Q, tokenIds: [5, 6, 7] }, c.signal, (e) => {
      if ((e as { done: number }).done === 2) c.abort();
    });
    expect(await run.catch((t: unknown) => toAppError(t).code)).toBe('inference/cancelled');
    expect(engine.status()).toMatchObject({ busy: false });
  });
});
