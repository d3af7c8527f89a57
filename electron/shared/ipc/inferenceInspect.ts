// Contract pieces of the inspector's engine operations (issue 17): the kept-set override, first-step probabilities,
// the selector sweep and the occlusion job. Pure TypeScript; imported by inference.ts and inferenceProcess.ts.
import { z } from 'zod';

/** Upper bound on the indices a keep list may hold (far above any local grid: 9 tiles × 144 cells). */
const MAX_KEEP = 65_536;

/**
 * Explicit kept local-token indices (raster order of the inspection record's local grid). Unique, integers ≥ 0; the
 * engine checks the upper bound (`localBefore`) once the image is encoded. `[]` = global only (no separator row).
 */
export const keepSchema = z
  .array(z.number().int().min(0))
  .max(MAX_KEEP)
  .refine((a) => new Set(a).size === a.length, { message: 'indices must be unique' });

/** What overrode the selector's kept decision (the inspection record and provenance carry it). */
export interface SelectorOverrideRecord {
  kind: 'keep';
  /** How many local tokens the override kept (0 = global only). */
  count: number;
}

/** Probabilities at the first generated step (softmax of the logits at temperature 1, whatever the sampling). */
export interface FirstStep {
  /** The 5 most probable tokens, best first. */
  top: { id: number; text: string; prob: number }[];
  /** The probability of the request's `probeTokenId`. */
  probe?: { id: number; prob: number };
}

/** The shared request fields of sweep and occlusion: the image and the conversation, as `ask` takes them. */
const jobBase = {
  requestId: z.string().min(1).max(128),
  modelDir: z.string().min(1).optional(),
  question: z.string(),
  history: z
    .array(z.object({ role: z.enum(['user', 'assistant']), content: z.string() }))
    .max(200)
    .default([]),
  systemPrompt: z.string().max(20_000).optional(),
};

/** Arguments of `sweep`. Greedy decoding at every setting; `maxNewTokens` defaults to the manifest's. */
export const sweepFields = {
  ...jobBase,
  maxNewTokens: z.number().int().min(1).max(8192).optional(),
  /** Also run the top-p settings at the selector mode the manifest does not name (listed after). */
  bothModes: z.boolean().default(false),
  /** Token whose first-step probability each setting reports (`firstStep.probe`). */
  probeTokenId: z.number().int().min(0).optional(),
};

/** One setting of a sweep. */
export interface SweepSetting {
  /** `global`, `p0.5`, `p0.8`, `p0.95`, `all`; the other mode's settings are prefixed `single:` / `legacy:`. */
  id: string;
  selector: { mode: 'legacy' | 'single'; topP: number; keep?: number[] };
  answer: string;
  tokenIds: number[];
  keptLocal: number;
  /** From the start of this setting's run to its first token (the first setting also pays image encoding on a cache miss). */
  ttftMs: number;
  /** First character index where `answer` differs from the shipped setting's answer; null when identical. */
  divergeAt: number | null;
  firstStep: FirstStep;
}

/** What `sweep` returns. */
export interface SweepResult {
  requestId: string;
  model: { dir: string; name: string };
  /** The id of the shipped setting (the manifest's mode and top_p). */
  shipped: string;
  settings: SweepSetting[];
  /** (manifest-mode settings other than the shipped one whose answer ≠ the shipped answer) / their number (4). */
  instability: number;
  /** top[0].prob − top[1].prob at the shipped setting's first step. */
  margin: number;
}

/** Arguments of `occlusion`: the answer being explained, and the selector setting that produced it. */
export const occlusionFields = {
  ...jobBase,
  /** The answer's token ids as `ask` returned them (stop ids excluded). */
  tokenIds: z.array(z.number().int().min(0)).min(1).max(4096),
  /** `tile`: one group per tile's kept cells; `block`: per tile, its cells split into 2×2 blocks of the query grid. */
  granularity: z.enum(['tile', 'block']).default('tile'),
};

/** One occluded group of kept cells. */
export interface OcclusionGroup {
  /** `tile 3` or `tile 3 block 1`. */
  label: string;
  tile: number;
  /** Kept raster indices this group drops. */
  cells: number[];
  /** Σ log p(answer tokens) without the group, teacher-forced. */
  logProb: number;
  /** baseline.logProb − logProb (positive: the answer depended on these cells). */
  drop: number;
  /** Σ selector probability q_j over the group's cells. */
  selectorMass: number;
}

/**
 * What `occlusion` returns. Agreement (precision at k): with G occluded groups, k = max(1, ⌈G/4⌉); the fraction of the
 * k groups with the largest selector mass that are also among the k groups with the largest drop (ties: lower group
 * index first). 1 = the selector's hottest groups are exactly the ones the answer depended on most; null when G = 0
 * (a global-only answer has no kept cells to occlude).
 */
export interface OcclusionResult {
  requestId: string;
  granularity: 'tile' | 'block';
  baseline: { logProb: number; keptLocal: number; answerTokens: number };
  groups: OcclusionGroup[];
  /** Per local raster index: the drop of the group holding it; null for cells the selector did not keep. */
  cellDrop: (number | null)[];
  agreement: { k: number; value: number | null; selectorTop: number[]; dropTop: number[] };
  /** Rows recomputed / rows reused from the KV prefix over all groups (answer steps excluded). */
  rows: { computed: number; reused: number };
  ms: number;
}

/** Progress of a sweep or occlusion job (stream event). */
export interface JobProgressEvent {
  requestId: string;
  job: 'sweep' | 'occlusion';
  done: number;
  total: number;
  label: string;
}
