// Parity: the TypeScript engine's stages on the slime-tiny fixture against the PyTorch goldens written by
// models/ (pixels, features, projector outputs, prompt ids, selector, sequence length, first logits, greedy tokens).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadModel, releaseModel, runEmbed, runProjector, runVision, type LoadedModel } from '../../../../electron/inference/model.ts';
import { decodeImageFile } from '../../../../electron/inference/preprocess/decodeImage.ts';
import { preprocessImage } from '../../../../electron/inference/preprocess/preprocessImage.ts';
import { chooseGrid } from '../../../../electron/inference/preprocess/gridRule.ts';
import { buildPrompt, IMAGE_TOKEN_INDEX, tokenizeWithImage, userMessageWithImage } from '../../../../electron/inference/prompt.ts';
import { rasterOrder, selectLocal } from '../../../../electron/inference/select.ts';
import { assemble, truncate } from '../../../../electron/inference/assemble.ts';
import { emptyKv, generateLoop } from '../../../../electron/inference/generate.ts';
import { argmax } from '../../../../electron/inference/sample.ts';
import type { ImageFeatures } from '../../../../electron/inference/encode.ts';

const DIR = path.resolve(import.meta.dirname, '../../../fixtures/slime-tiny');
const HAVE = existsSync(path.join(DIR, 'goldens.json'));

/** Written tolerances (fp32, onnxruntime-node vs PyTorch). Pixels: bit-exact Pillow port, so only float rounding. */
const TOL = { pixels: 1e-6, features: 1e-4, logits: 1e-3, scoresRel: 1e-5 };

interface TensorRef {
  file: string;
  shape: number[];
}
interface Goldens {
  questions: string[];
  long_question: string;
  grid_cases: [number, number, number, number, number][];
  images: {
    id: string;
    file: string;
    grid: [number, number];
    views: number;
    pixel_values: TensorRef;
    patch_feats: TensorRef;
    projector: Record<'global_tokens' | 'router_weights' | 'local_tokens' | 'local_attention', TensorRef>;
  }[];
  cases: {
    image: string | null;
    question: number | 'long';
    prompt: string;
    input_ids: number[];
    selector?: { scores: number[] } & Record<
      'legacy' | 'single' | 'keep_all',
      { mode: 'legacy' | 'single'; top_p: number; k: number; kept: number[] }
    >;
    seq_len: number;
    first_logits_top20: { ids: number[]; values: number[] };
    greedy: { max_new_tokens: number; tokens: number[] };
  }[];
}

const goldens: Goldens = HAVE
  ? (JSON.parse(readFileSync(path.join(DIR, 'goldens.json'), 'utf8')) as Goldens)
  : ({ images: [], cases: [], grid_cases: [], questions: [], long_question: '' } as unknown as Goldens);

function bin(ref: TensorRef): Float32Array {
  const b = readFileSync(path.join(DIR, ref.file));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

let model: LoadedModel;
const features = new Map<string, ImageFeatures>();
const measured = { pixels: 0, patch_feats: 0, projector: 0, logits: 0 };

beforeAll(async () => {
  if (HAVE) model = await loadModel(DIR, { providers: ['cpu'] });
});
afterAll(async () => {
  if (HAVE) {
    await releaseModel(model);
    console.info('slime-tiny parity, max |Δ|:', JSON.stringify(measured));
  }
});

describe.skipIf(!HAVE)('slime-tiny parity', () => {
  it('grid rule matches every grid case', () => {
    for (const [w, h, tile, gw, gh] of goldens.grid_cases)
      expect([w, h, tile, chooseGrid(w, h, tile)]).toEqual([w, h, tile, { cols: gw, rows: gh }]);
  });

  it.each(goldens.images.map((i) => [i.id, i] as const))('image %s: pixels, vision features and projector outputs', async (_id, img) => {
    const decoded = await decodeImageFile(path.join(DIR, img.file));
    const pre = preprocessImage(decoded, model.manifest.vision);
    expect([pre.grid.cols, pre.grid.rows]).toEqual(img.grid);
    const dp = maxAbsDiff(pre.pixelValues, bin(img.pixel_values));
    measured.pixels = Math.max(measured.pixels, dp);
    expect(dp).toBeLessThanOrEqual(TOL.pixels);
    const feats = await runVision(model, pre.pixelValues, pre.views);
    const df = maxAbsDiff(feats, bin(img.patch_feats));
    measured.patch_feats = Math.max(measured.patch_feats, df);
    expect(df).toBeLessThanOrEqual(TOL.features);
    const proj = await runProjector(model, feats, pre.views - 1);
    for (const k of ['global_tokens', 'router_weights', 'local_tokens', 'local_attention'] as const) {
      const mine =
        k === 'global_tokens'
          ? proj.globalTokens
          : k === 'router_weights'
            ? proj.routerWeights
            : k === 'local_tokens'
              ? proj.localTokens
              : proj.localAttention!;
      const d = maxAbsDiff(mine, bin(img.projector[k]));
      measured.projector = Math.max(measured.projector, d);
      expect(d, k).toBeLessThanOrEqual(TOL.features);
    }
    const { hidden: H, local_queries: Q } = model.manifest.projector;
    const { pixelValues: _p, ...geometry } = pre;
    features.set(img.id, {
      hash: img.id,
      geometry,
      globalTokens: proj.globalTokens,
      routerWeights: proj.routerWeights,
      localRaster: rasterOrder(proj.localTokens, pre.grid.cols, pre.grid.rows, Q, H),
      localAttention: proj.localAttention,
    });
  });

  it.each(goldens.cases.map((c, i) => [i, c.image ?? 'text-only', String(c.question), c] as const))(
    'case %i (%s, question %s): ids, selector, length, first logits, greedy tokens',
    async (_i, _img, _q, c) => {
      const question = c.question === 'long' ? goldens.long_question : goldens.questions[c.question]!;
      const prompt = buildPrompt('llama3', [{ role: 'user', content: c.image ? userMessageWithImage(question) : question }]);
      expect(prompt).toBe(c.prompt);
      const ids = tokenizeWithImage(prompt, model.tokenizer, model.bosId);
      expect(ids).toEqual(c.input_ids);
      const H = model.manifest.llm.hidden;
      const textIds = ids.filter((i) => i !== IMAGE_TOKEN_INDEX);
      const text = await runEmbed(model, [...textIds, model.manifest.separator_id]);
      let embeds: Float32Array;
      let rows: string[];
      if (c.image && c.selector) {
        const f = features.get(c.image)!;
        const selText = text.subarray(0, Math.min(textIds.length, model.manifest.llm.max_length) * H);
        for (const variant of ['legacy', 'single', 'keep_all'] as const) {
          const g = c.selector[variant];
          const sel = selectLocal(f.localRaster, selText, H, { mode: g.mode, topP: g.top_p, temperature: 1, legacyFirstTemperature: 0.5 });
          expect([...sel.kept], variant).toEqual(g.kept);
          if (variant === 'legacy') {
            for (let j = 0; j < sel.scores.length; j++)
              expect(Math.abs(sel.scores[j]! - c.selector.scores[j]!)).toBeLessThanOrEqual(
                TOL.scoresRel * Math.max(1, Math.abs(c.selector.scores[j]!)),
              );
          }
        }
        const m = model.manifest.selector;
        const sel = selectLocal(f.localRaster, selText, H, {
          mode: m.mode,
          topP: m.top_p,
          temperature: m.temperature,
          legacyFirstTemperature: m.legacy_first_temperature,
        });
        const seq = truncate(assemble(ids, text, H, f, sel.kept, false, model.manifest.separator_id), model.manifest.llm.max_length, H);
        ({ embeds, rows } = seq);
      } else {
        embeds = text.subarray(0, textIds.length * H);
        rows = textIds.map((i) => `t${i}`);
      }
      expect(rows.length).toBe(c.seq_len);
      let first: Float32Array | undefined;
      const out = await generateLoop(model, emptyKv(model), embeds, rows, {
        maxNewTokens: c.greedy.max_new_tokens,
        stopIds: new Set(model.manifest.special_tokens.eos),
        signal: new AbortController().signal,
        pick: (l) => argmax(l),
        onToken: () => undefined,
        onFirstLogits: (l) => (first = Float32Array.from(l)),
        // The reference keeps decoding past max_length after truncating the prompt; the engine refuses such prompts.
        contextLimit: Infinity,
      });
      const order = Array.from(first!.keys())
        .sort((a, b) => first![b]! - first![a]! || a - b)
        .slice(0, 20);
      expect(order).toEqual(c.first_logits_top20.ids);
      const dl = Math.max(...c.first_logits_top20.values.map((v, k) => Math.abs(first![c.first_logits_top20.ids[k]!]! - v)));
      measured.logits = Math.max(measured.logits, dl);
      expect(dl).toBeLessThanOrEqual(TOL.logits);
      // The reference lists the stop id it emitted; the engine stops before it.
      const stop = c.greedy.tokens.at(-1)!;
      const expected = out.stopReason === 'eos' ? c.greedy.tokens.slice(0, -1) : c.greedy.tokens;
      expect(out.tokens).toEqual(expected);
      if (out.stopReason === 'eos') expect(model.manifest.special_tokens.eos).toContain(stop);
    },
  );
});
