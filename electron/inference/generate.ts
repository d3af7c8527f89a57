// Inference process: the decoder on its in-place KV cache — prefill (reusing a cached prefix of identical rows), then
// the token loop (sample → stop → embed → step), checking the AbortSignal before every step.
import { Tensor } from 'onnxruntime-node';
import { AppFailure } from '../shared/errors.ts';
import type { LoadedModel } from './model.ts';
import { runEmbed } from './model.ts';
import { KvCache, type KvSpec } from './kvCache.ts';

/** The cache layout `model`'s decoder expects (manifest `llm`). */
export function kvSpec(model: LoadedModel): KvSpec {
  const { layers, kv_heads: kvHeads, head_dim: headDim, kv_dtype: dtype } = model.manifest.llm;
  return { layers, kvHeads, headDim, dtype };
}

/** An empty cache for `model`. */
export function emptyKv(model: LoadedModel): KvCache {
  return new KvCache(kvSpec(model));
}

/** Length of the common prefix of two row lists. */
export function commonPrefix(a: readonly string[], b: readonly string[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** All-ones int64 rows shared by every attention mask (a mask is a view of its first `total` entries). */
let ones = new BigInt64Array(0);

/** The attention mask for `total` rows (cached + new), as the contract asks: [1,total] of ones. */
function attentionMask(total: number): Tensor {
  if (ones.length < total) ones = new BigInt64Array(Math.max(total, ones.length * 2, 256)).fill(1n);
  return new Tensor('int64', ones.subarray(0, total), [1, total]);
}

/**
 * Runs the decoder on `embeds` [S,H] after the rows `kv` holds; GroupQueryAttention writes the S new rows into the
 * cache's buffers in place (grown first when they would not fit) and `newRows` names them. Returns last-position logits.
 */
export async function decoderStep(
  model: LoadedModel,
  kv: KvCache,
  embeds: Float32Array,
  newRows: readonly string[],
): Promise<Float32Array> {
  const H = model.manifest.llm.hidden;
  const S = embeds.length / H;
  if (S !== newRows.length) throw new AppFailure('inference/failed', `${S} embedding rows but ${newRows.length} row names`);
  const total = kv.length + S;
  const limit = model.manifest.llm.max_positions;
  if (total > limit) throw new AppFailure('prompt/too-long', `${total} rows exceed the ${limit} positions this model's decoder can encode`);
  kv.reserve(total);
  const feeds: Record<string, Tensor> = {
    inputs_embeds: new Tensor('float32', embeds, [1, S, H]),
    attention_mask: attentionMask(total),
  };
  const fetches: Record<string, Tensor | null> = { logits: null };
  kv.bind(feeds, fetches);
  const out = await model.sessions.decoder.run(feeds, fetches);
  kv.append(newRows);
  const logits = out.logits?.data;
  if (!(logits instanceof Float32Array)) throw new AppFailure('inference/failed', 'decoder returned no float32 logits');
  return logits;
}

/** Settings of one generation loop. */
export interface LoopOptions {
  maxNewTokens: number;
  stopIds: ReadonlySet<number>;
  signal: AbortSignal;
  pick: (logits: Float32Array, generated: readonly number[]) => number;
  onToken: (id: number, generated: number) => void;
  onFirstLogits?: (logits: Float32Array) => void;
  /**
   * Rows the cache may hold before generation stops with 'context' (default: the manifest's max_length); never more
   * than `llm.max_positions`, the decoder's hard limit.
   */
  contextLimit?: number;
  /** Who runs the loop, named when the cache is found in use (default 'generation'). */
  owner?: string;
}

/** What one generation produced. */
export interface LoopResult {
  tokens: number[];
  stopReason: 'eos' | 'length' | 'context';
  /** The cache the loop ran on (the same object it was given), holding the prompt and generated rows. */
  kv: KvCache;
  prefillMs: number;
  decodeMs: number;
  sampleMs: number;
  reused: number;
}

/** Throws `inference/cancelled` when the request was aborted. */
export function checkAbort(signal: AbortSignal): void {
  if (signal.aborted) throw new AppFailure('inference/cancelled', 'The request was cancelled');
}

/**
 * Prefill `embeds` (rows identified by `rows`) after the longest prefix `cache` already holds (at least one row is
 * always run, for its logits), then generate until a stop id or a limit. The cache is grown in place and leased for
 * the whole call: after it (or after a cancellation) it holds exactly the rows that were computed.
 */
export async function generateLoop(
  model: LoadedModel,
  cache: KvCache,
  embeds: Float32Array,
  rows: readonly string[],
  o: LoopOptions,
): Promise<LoopResult> {
  return cache.lease(o.owner ?? 'generation', async () => {
    const H = model.manifest.llm.hidden;
    const reused = Math.min(commonPrefix(cache.rows, rows), rows.length - 1);
    cache.truncate(reused);
    const t0 = performance.now();
    const logits = await decoderStep(model, cache, embeds.subarray(reused * H), rows.slice(reused));
    const prefillMs = performance.now() - t0;
    o.onFirstLogits?.(logits);
    return { ...(await tokenLoop(model, cache, logits, o)), kv: cache, prefillMs, reused };
  });
}

/** The token loop after the prefill: sample → stop check → embed → decoder step. */
async function tokenLoop(
  model: LoadedModel,
  kv: KvCache,
  first: Float32Array,
  o: LoopOptions,
): Promise<Pick<LoopResult, 'tokens' | 'stopReason' | 'decodeMs' | 'sampleMs'>> {
  const limit = Math.min(o.contextLimit ?? model.manifest.llm.max_length, model.manifest.llm.max_positions);
  const tokens: number[] = [];
  let logits = first;
  let sampleMs = 0;
  let stopReason: LoopResult['stopReason'] = 'length';
  const t0 = performance.now();
  for (;;) {
    checkAbort(o.signal);
    const ts = performance.now();
    const id = o.pick(logits, tokens);
    sampleMs += performance.now() - ts;
    if (o.stopIds.has(id)) {
      stopReason = 'eos';
      break;
    }
    tokens.push(id);
    o.onToken(id, tokens.length);
    if (tokens.length >= o.maxNewTokens) break;
    if (kv.length >= limit) {
      stopReason = 'context';
      break;
    }
    logits = await decoderStep(model, kv, await runEmbed(model, [id]), [`t${id}`]);
  }
  return { tokens, stopReason, decodeMs: performance.now() - t0 - sampleMs, sampleMs };
}
