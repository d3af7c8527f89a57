// Inference process: builds the decoder input (spec §2.7) — text before the image ++ G ++ E[sep] ++ kept local
// tokens ++ text after — and a stable identity per row so a cached KV prefix can be matched exactly.
import { AppFailure } from '../shared/errors.ts';
import { IMAGE_TOKEN_INDEX } from './prompt.ts';
import type { ImageFeatures } from './encode.ts';

/** The assembled sequence. */
export interface Assembled {
  embeds: Float32Array;
  rows: string[];
  visualStart: number;
  visualRows: number;
}

/**
 * Assembles rows. `textEmbeds` holds the embeddings of `ids` without the placeholder, in order, followed by one
 * separator row. `kept` are raster indices of kept local tokens; `globalOnly` drops the separator and all local tokens.
 */
export function assemble(
  ids: readonly number[],
  textEmbeds: Float32Array,
  hidden: number,
  features: ImageFeatures,
  kept: Int32Array,
  globalOnly: boolean,
  separatorId: number,
): Assembled {
  const at = ids.indexOf(IMAGE_TOKEN_INDEX);
  if (at < 0 || ids.indexOf(IMAGE_TOKEN_INDEX, at + 1) >= 0)
    throw new AppFailure('inference/failed', 'the prompt must hold exactly one image placeholder');
  const T = ids.length - 1;
  const G = features.globalTokens.length / hidden;
  const local = globalOnly ? 0 : kept.length;
  const visualRows = G + (globalOnly ? 0 : 1) + local;
  const out = new Float32Array((T + visualRows) * hidden);
  const rows: string[] = [];
  out.set(textEmbeds.subarray(0, at * hidden), 0);
  for (let i = 0; i < at; i++) rows.push(`t${ids[i]}`);
  let o = at * hidden;
  out.set(features.globalTokens, o);
  o += G * hidden;
  for (let i = 0; i < G; i++) rows.push(`g${features.hash}:${i}`);
  if (!globalOnly) {
    out.set(textEmbeds.subarray(T * hidden, (T + 1) * hidden), o);
    o += hidden;
    rows.push(`t${separatorId}`);
    for (const j of kept) {
      out.set(features.localRaster.subarray(j * hidden, (j + 1) * hidden), o);
      o += hidden;
      rows.push(`l${features.hash}:${j}`);
    }
  }
  out.set(textEmbeds.subarray(at * hidden, T * hidden), o);
  for (let i = at + 1; i < ids.length; i++) rows.push(`t${ids[i]}`);
  return { embeds: out, rows, visualStart: at, visualRows };
}

/** Cuts an assembled sequence to `maxLength` rows (the reference's truncation; the engine refuses instead). */
export function truncate(seq: Assembled, maxLength: number, hidden: number): Assembled {
  if (seq.rows.length <= maxLength) return seq;
  return { ...seq, embeds: seq.embeds.subarray(0, maxLength * hidden), rows: seq.rows.slice(0, maxLength) };
}
