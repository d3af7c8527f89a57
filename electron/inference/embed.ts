// Inference process: the image embedding used for similarity search and the out-of-distribution guard — the mean of
// the global view's rows that enter the LLM (projector/router output, before the separator), L2-normalised, float32.
// The same definition as models/ort_pipeline.py (SESSION2-PLAN.md "Image embedding"); features come from the cache.
import type { EmbedResult, ParsedEmbedRequest } from '../shared/ipc/inference.ts';
import { AppFailure } from '../shared/errors.ts';
import { encodeImage, type FeatureCache } from './encode.ts';
import type { LoadedModel } from './model.ts';

/** Mean over rows of a [rows, hidden] matrix, L2-normalised, as float32. */
export function meanUnit(rows: Float32Array, hidden: number): Float32Array {
  const n = rows.length / hidden;
  if (!Number.isInteger(n) || n === 0)
    throw new AppFailure('inference/failed', `cannot average ${rows.length} values in rows of ${hidden}`);
  const sum = new Float64Array(hidden);
  for (let r = 0; r < n; r++) for (let i = 0; i < hidden; i++) sum[i]! += rows[r * hidden + i]!;
  let norm = 0;
  for (let i = 0; i < hidden; i++) norm += (sum[i]! / n) ** 2;
  norm = Math.sqrt(norm);
  const out = new Float32Array(hidden);
  for (let i = 0; i < hidden; i++) out[i] = norm > 0 ? sum[i]! / n / norm : 0;
  return out;
}

/** The embedding of the image at `request.image.path` (encoded once; later calls and asks reuse the features). */
export async function embedImage(
  model: LoadedModel,
  cache: FeatureCache,
  request: ParsedEmbedRequest,
  signal: AbortSignal,
): Promise<EmbedResult> {
  if (!('path' in request.image)) throw new AppFailure('ipc/bad-args', 'the inference process takes images by path');
  const { features, timings } = await encodeImage(model, cache, request.image.path, signal, () => {});
  const hidden = model.manifest.projector.hidden;
  const vector = meanUnit(features.globalTokens, hidden);
  return { dim: hidden, vector: Array.from(vector), imageHash: features.hash, featureCacheHit: timings.cacheHit };
}
