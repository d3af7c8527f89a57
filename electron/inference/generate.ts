// Inference process: the decoder with a KV cache — prefill (reusing a cached prefix of identical rows), then the
// token loop (sample → stop → embed → step), checking the AbortSignal before every step.
import { Tensor } from 'onnxruntime-node';
import { AppFailure } from '../shared/errors.ts';
import type { LoadedModel } from './model.ts';
import { runEmbed } from './model.ts';

/** Past key/value tensors and the identity of every row they hold. */
export interface KvState {
  past: Record<string, Tensor>;
  rows: string[];
}

/** An empty cache for `model`. */
export function emptyKv(model: LoadedModel): KvState {
  const { layers, kv_heads, head_dim } = model.manifest.llm;
  const past: Record<string, Tensor> = {};
  for (let l = 0; l < layers; l++)
    for (const kind of ['key', 'value'])
      past[`past_key_values.${l}.${kind}`] = new Tensor('float32', new Float32Array(0), [1, kv_heads, 0, head_dim]);
  return { past, rows: [] };
}

/** The first `n` positions of a cache (a copy). */
export function sliceKv(model: LoadedModel, kv: KvState, n: number): KvState {
  if (n === kv.rows.length) return kv;
  const { kv_heads: heads, head_dim: hd } = model.manifest.llm;
  const past: Record<string, Tensor> = {};
  const total = kv.rows.length;
  for (const [name, t] of Object.entries(kv.past)) {
    const src = t.data as Float32Array;
    const dst = new Float32Array(heads * n * hd);
    for (let h = 0; h < heads; h++) dst.set(src.subarray(h * total * hd, h * total * hd + n * hd), h * n * hd);
    past[name] = new Tensor('float32', dst, [1, heads, n, hd]);
  }
  return { past, rows: kv.rows.slice(0, n) };
}

/** Length of the common prefix of two row lists. */
export function commonPrefix(a: readonly string[], b: readonly string[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Runs the decoder on `embeds` [S,H] after `kv`; returns last-position logits and the grown cache. */
export async function decoderStep(
  model: LoadedModel,
  kv: KvState,
  embeds: Float32Array,
  newRows: string[],
): Promise<{ logits: Float32Array; kv: KvState }> {
  const H = model.manifest.llm.hidden;
  const S = embeds.length / H;
  const past = kv.rows.length;
  const feeds: Record<string, Tensor> = {
    inputs_embeds: new Tensor('float32', embeds, [1, S, H]),
    attention_mask: new Tensor('int64', new BigInt64Array(past + S).fill(1n), [1, past + S]),
    position_ids: new Tensor(
      'int64',
      BigInt64Array.from({ length: S }, (_, i) => BigInt(past + i)),
      [1, S],
    ),
    ...kv.past,
  };
  const out = await model.sessions.decoder.run(feeds);
  const next: Record<string, Tensor> = {};
  for (const name of Object.keys(kv.past)) {
    const t = out[name.replace('past_key_values', 'present')];
    if (!t) throw new AppFailure('inference/failed', `decoder did not return ${name.replace('past_key_values', 'present')}`);
    next[name] = t;
  }
  const logits = out.logits?.data;
  if (!(logits instanceof Float32Array)) throw new AppFailure('inference/failed', 'decoder returned no float32 logits');
  return { logits, kv: { past: next, rows: [...kv.rows, ...newRows] } };
}

/** Settings of one generation loop. */
export interface LoopOptions {
  maxNewTokens: number;
  stopIds: ReadonlySet<number>;
  signal: AbortSignal;
  pick: (logits: Float32Array, generated: readonly number[]) => number;
  onToken: (id: number, generated: number) => void;
  onFirstLogits?: (logits: Float32Array) => void;
  /** Rows the cache may hold before generation stops with 'context' (default: the manifest's max_length). */
  contextLimit?: number;
}

/** What one generation produced. */
export interface LoopResult {
  tokens: number[];
  stopReason: 'eos' | 'length' | 'context';
  kv: KvState;
  prefillMs: number;
  decodeMs: number;
  sampleMs: number;
  reused: number;
}

/** Throws `inference/cancelled` when the request was aborted. */
export function checkAbort(signal: AbortSignal): void {
  if (signal.aborted) throw new AppFailure('inference/cancelled', 'The request was cancelled');
}

/** Prefill `embeds` (rows identified by `rows`), reusing the cached prefix, then generate until a stop id or a limit. */
export async function generateLoop(
  model: LoadedModel,
  cache: KvState,
  embeds: Float32Array,
  rows: string[],
  o: LoopOptions,
): Promise<LoopResult> {
  const H = model.manifest.llm.hidden;
  const reused = Math.min(commonPrefix(cache.rows, rows), rows.length - 1);
  let kv = sliceKv(model, cache, reused);
  let t0 = performance.now();
  let step = await decoderStep(model, kv, embeds.subarray(reused * H), rows.slice(reused));
  const prefillMs = performance.now() - t0;
  o.onFirstLogits?.(step.logits);
  kv = step.kv;
  const tokens: number[] = [];
  let sampleMs = 0;
  let stopReason: LoopResult['stopReason'] = 'length';
  t0 = performance.now();
  for (;;) {
    checkAbort(o.signal);
    const ts = performance.now();
    const id = o.pick(step.logits, tokens);
    sampleMs += performance.now() - ts;
    if (o.stopIds.has(id)) {
      stopReason = 'eos';
      break;
    }
    tokens.push(id);
    o.onToken(id, tokens.length);
    if (tokens.length >= o.maxNewTokens) break;
    if (kv.rows.length >= (o.contextLimit ?? model.manifest.llm.max_length)) {
      stopReason = 'context';
      break;
    }
    step = await decoderStep(model, kv, await runEmbed(model, [id]), [`t${id}`]);
    kv = step.kv;
  }
  return { tokens, stopReason, kv, prefillMs, decodeMs: performance.now() - t0 - sampleMs, sampleMs, reused };
}
