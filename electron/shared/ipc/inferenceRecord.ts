// Contract pieces of one answer's inspection record (what the model looked at): execution providers, stage timings,
// tile rectangles and the record itself. Pure TypeScript; re-exported by inference.ts, which speaks them.
import type { FirstStep, SelectorOverrideRecord } from './inferenceInspect.ts';

/** Execution providers the engine knows, in the names onnxruntime-node uses. */
export const PROVIDER_NAMES = ['cuda', 'dml', 'webgpu', 'coreml', 'cpu'] as const;
/** One of {@link PROVIDER_NAMES}. */
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** Which provider runs one graph, and why the ones before it did not. */
export interface GraphProvider {
  graph: string;
  provider: ProviderName;
  attempts: { provider: ProviderName; error: string }[];
}

/** Timings of one answer in milliseconds (stage names as in electron/inference). */
export interface StageTimings {
  decode: number;
  preprocess: number;
  encode: number;
  project: number;
  /** embed_tokens over the prompt (and the separator row). */
  embed: number;
  select: number;
  assemble: number;
  prefill: number;
  generate: number;
  sample: number;
  detokenize: number;
  ttft: number;
  total: number;
  /** Whether the image features came from the cache / how many prompt rows the KV cache reused. */
  featureCacheHit: boolean;
  kvReusedTokens: number;
}

/** A tile's rectangle in original-image pixels (clipped to the image; width/height 0 for pure padding). */
export interface TileRect {
  index: number;
  row: number;
  col: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The record of what the model looked at for one answer. Per-token arrays are in raster order over the
 * (grid.rows·q) × (grid.cols·q) local grid (q = localGrid), index j ↔ (globalRow, globalCol) = (j / (cols·q), j % (cols·q)).
 */
export interface InspectionRecord {
  imageHash: string;
  original: { width: number; height: number };
  grid: { cols: number; rows: number; tiles: number };
  /** Canvas the tiles are cut from, and where the resized image sits on it (canvas pixels). */
  canvas: { width: number; height: number; imageX: number; imageY: number; imageWidth: number; imageHeight: number };
  tiles: TileRect[];
  globalView: { width: number; height: number };
  tileSize: number;
  localGrid: number;
  tokens: {
    global: number;
    localBefore: number;
    localAfter: number;
    separator: number;
    prompt: number;
    prefill: number;
    generated: number;
    kvReused: number;
  };
  selector: {
    mode: 'legacy' | 'single';
    topP: number;
    temperature: number;
    /** Raw cosine-sum score s_j of every local token. */
    scores: number[];
    /** Final selector probability q_j. */
    probs: number[];
    /** 1 when kept, 0 when dropped. */
    kept: number[];
    tile: number[];
    row: number[];
    col: number[];
    /** Set when the request's `selector.keep` replaced the kept decision (absent in records made before it existed). */
    override?: SelectorOverrideRecord | null;
  };
  /** First-step probabilities (absent in records made before they existed). */
  firstStep?: FirstStep;
  /** Router weights per global token, flattened [patchTokens, 2] (expert 0 = MLP, expert 1 = MLP∘Q-former). */
  routerWeights: number[];
  /**
   * Compressor attention projected onto each tile's patch grid, flattened [tiles, patchGrid²]: Σ_q p_q·attn[q, patch]
   * with p the selector probability of kept tokens (0 for dropped). Null when the graph has no `local_attention`.
   */
  attentionHeat: { patchGrid: number; data: number[] } | null;
  timings: StageTimings;
  providers: GraphProvider[];
  sampling: { temperature: number; topK: number; topP: number; repetitionPenalty: number; maxNewTokens: number; seed: number };
  stopReason: 'eos' | 'length' | 'context';
}
