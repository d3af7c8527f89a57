// Inference process: the raster reorder of local tokens and the text-guided selector of spec §2.6 (cosine
// scores against the prompt's raw embeddings, legacy double / single softmax, top-p with the "+1" rule).
import { AppFailure } from '../shared/errors.ts';

/** Selector settings after manifest defaults and request overrides. */
export interface SelectorSettings {
  mode: 'legacy' | 'single';
  topP: number;
  temperature: number;
  legacyFirstTemperature: number;
}

/** What the selector decided. */
export interface Selection {
  scores: Float64Array;
  probs: Float64Array;
  /** Kept indices in ascending (raster) order. */
  kept: Int32Array;
}

/**
 * Reorders [N = gw·gh tiles, Q = g², H] (tiles row-major, queries row-major) into raster order over the
 * (g·gh) × (g·gw) grid: [gh, gw, g, g, H] → [gh, g, gw, g, H].
 */
export function rasterOrder(local: Float32Array, cols: number, rows: number, queries: number, hidden: number): Float32Array {
  const g = Math.round(Math.sqrt(queries));
  if (g * g !== queries || local.length !== cols * rows * queries * hidden)
    throw new Error(`rasterOrder: ${local.length} values do not fit ${cols}×${rows} tiles × ${queries} × ${hidden}`);
  const out = new Float32Array(local.length);
  let o = 0;
  for (let tr = 0; tr < rows; tr++)
    for (let qr = 0; qr < g; qr++)
      for (let tc = 0; tc < cols; tc++)
        for (let qc = 0; qc < g; qc++) {
          const src = ((tr * cols + tc) * queries + qr * g + qc) * hidden;
          out.set(local.subarray(src, src + hidden), o);
          o += hidden;
        }
  return out;
}

/** s_j = (v_j/‖v_j‖)·u with u = Σ_t e_t/‖e_t‖, in float64. local [M,H], text [T,H]. */
export function selectorScores(local: Float32Array, text: Float32Array, hidden: number): Float64Array {
  const u = new Float64Array(hidden);
  for (let t = 0; t < text.length / hidden; t++) {
    const row = text.subarray(t * hidden, (t + 1) * hidden);
    const n = Math.max(norm(row), 1e-12);
    for (let i = 0; i < hidden; i++) u[i]! += row[i]! / n;
  }
  const m = local.length / hidden;
  const s = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const row = local.subarray(j * hidden, (j + 1) * hidden);
    let dot = 0;
    for (let i = 0; i < hidden; i++) dot += row[i]! * u[i]!;
    s[j] = dot / Math.max(norm(row), 1e-12);
  }
  return s;
}

function norm(row: Float32Array): number {
  let acc = 0;
  for (let i = 0; i < row.length; i++) acc += row[i]! * row[i]!;
  return Math.sqrt(acc);
}

function softmax(x: Float64Array, temp: number): Float64Array {
  let max = -Infinity;
  for (const v of x) max = Math.max(max, v / temp);
  const out = new Float64Array(x.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += out[i] = Math.exp(x[i]! / temp - max);
  for (let i = 0; i < x.length; i++) out[i]! /= sum;
  return out;
}

/** legacy: softmax(softmax(s / t0) / temp); single: softmax(s / temp). */
export function selectorProbs(scores: Float64Array, s: SelectorSettings): Float64Array {
  return s.mode === 'legacy' ? softmax(softmax(scores, s.legacyFirstTemperature), s.temperature) : softmax(scores, s.temperature);
}

/** Kept indices (ascending): stable descending sort, n = #{cumsum ≤ topP}, keep n + 1 (all when n ≥ M or topP ≥ 1). */
export function topPKeep(probs: Float64Array, topP: number): Int32Array {
  const m = probs.length;
  if (topP >= 1) return Int32Array.from({ length: m }, (_, i) => i);
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => probs[b]! - probs[a]! || a - b);
  let csum = 0;
  let n = 0;
  for (const i of order) {
    csum += probs[i]!;
    if (csum <= topP) n++;
  }
  const k = n >= m ? m : n + 1;
  return Int32Array.from(order.slice(0, k)).sort();
}

/** Runs the whole selector over raster-ordered local tokens. */
export function selectLocal(localRaster: Float32Array, textEmbeds: Float32Array, hidden: number, settings: SelectorSettings): Selection {
  const scores = selectorScores(localRaster, textEmbeds, hidden);
  const probs = selectorProbs(scores, settings);
  return { scores, probs, kept: topPKeep(probs, settings.topP) };
}

/**
 * The request's explicit kept set as ascending raster indices. Uniqueness and integrality are checked by the contract;
 * the range needs the image's local grid, so it is checked here (`ipc/bad-args`, naming the first bad index).
 */
export function keptFromOverride(keep: readonly number[], localBefore: number): Int32Array {
  const bad = keep.find((j) => !Number.isInteger(j) || j < 0 || j >= localBefore);
  if (bad !== undefined)
    throw new AppFailure(
      'ipc/bad-args',
      `Invalid arguments: selector.keep: index ${bad} is outside this image's local grid (0..${localBefore - 1}, ${localBefore} cells)`,
      { field: 'selector.keep', index: bad, localBefore },
    );
  if (new Set(keep).size !== keep.length)
    throw new AppFailure('ipc/bad-args', 'Invalid arguments: selector.keep: indices must be unique', { field: 'selector.keep' });
  return Int32Array.from(keep).sort();
}
