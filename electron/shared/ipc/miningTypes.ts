// DTOs of hard-example mining (ask a folder, hardness signals, review queue, similar images). Pure TypeScript.

/** Where a mining job is. `scanning` → `ready` → `running` ⇄ `paused` → `done`; `cancelled` stops for good. */
export type MiningJobState = 'scanning' | 'ready' | 'running' | 'paused' | 'cancelled' | 'done';

/** What a job asks and with which settings (stored with the job, so a resume runs exactly the same). */
export interface MiningSettings {
  /** Asked about every image. */
  questions: string[];
  /** Extra questions per image, keyed by the file's path relative to the folder ('/' separators). */
  perImage: Record<string, string[]>;
  selector: { mode?: 'legacy' | 'single'; topP?: number; temperature?: number };
  /** Generation settings; greedy unless temperature is set. */
  sampling: { maxNewTokens?: number; temperature?: number };
  /** Which signals to compute in the same pass (the answer, inspection and provenance are always kept). */
  signals: { detail: boolean; stability: boolean; embedding: boolean };
  /** Tags put on every draft example. */
  tags: string[];
}

/** Counts of a job's pairs. */
export interface PairCounts {
  total: number;
  pending: number;
  done: number;
  failed: number;
}

/** A mining job as stored. */
export interface MiningJob {
  id: number;
  folder: string;
  modelDir: string;
  manifestSha256: string | null;
  settings: MiningSettings;
  state: MiningJobState;
  /** Distinct images found in the folder (after the scan). */
  images: number;
  /** Files the scan could not use, with why. */
  skipped: { file: string; reason: string }[];
  pairs: PairCounts;
  /** Done examples of this job still missing a signal (detail, instability, margin, or OOD where the model has a guard). */
  signalsMissing: number;
  createdAt: number;
  updatedAt: number;
}

/** A pair the runner still has to do. */
export interface PendingPair {
  imageSha256: string;
  question: string;
  file: string;
  /** The stored image file. */
  imagePath: string;
}

/** The per-setting result of the stability sweep (kept compact). */
export interface SweepSummary {
  id: string;
  answer: string;
  keptLocal: number;
  divergeAt: number | null;
}

/** Hardness signals of one example; null where not computed (see `missing`). */
export interface ExampleSignals {
  detail: number | null;
  instability: number | null;
  sweep: SweepSummary[] | null;
  margin: number | null;
  oodScore: number | null;
  inDist: boolean | null;
  needsDetail: number;
  /** Signals that count as 0 in `needsDetail` because they were not available. */
  missing: string[];
}

/** The selector's decision for an answer, kept so evidence coverage can be computed when regions are drawn later. */
export interface KeptSelection {
  /** Original image size, the tile grid, the local grid per tile and the canvas placement (from the inspection record). */
  original: { width: number; height: number };
  grid: { cols: number; rows: number };
  localGrid: number;
  canvas: { width: number; height: number; imageX: number; imageY: number; imageWidth: number; imageHeight: number };
  /** Kept local-token indices in raster order. */
  kept: number[];
}

/** What the runner stores when a pair completes (in one transaction with marking the pair done). */
export interface CompletedPair {
  jobId: number;
  imageSha256: string;
  question: string;
  answer: string;
  provenance: Record<string, unknown>;
  tags: string[];
  detail: { full: number; globalOnly: number } | null;
  signals: ExampleSignals;
  /** The answer's inspection record: the worker keeps its summary in the provenance and the kept cells for coverage. */
  inspection: unknown;
}

/** Evidence coverage of one region: the share of the selector cells under it that were kept. */
export interface RegionCoverage {
  regionId: number;
  cells: number;
  kept: number;
  share: number;
}

/** One row of the review queue. */
export interface ReviewItem {
  exampleId: number;
  imageSha256: string | null;
  question: string;
  answer: string;
  status: string;
  signals: ExampleSignals;
  coverage: RegionCoverage[] | null;
  /** True when some region's coverage is below the threshold: the selector dropped the evidence. */
  evidenceDropped: boolean;
}

/** An image like another one, by cosine similarity of the model's embeddings. */
export interface SimilarImage {
  sha256: string;
  similarity: number;
  examples: number;
}

/** Why examples are grouped as near-duplicates. */
export type DuplicateReason = 'same-image-same-question' | 'same-image' | 'near-identical-image';

/** A near-duplicate group that says why. */
export interface ReasonedDuplicateGroup {
  reason: DuplicateReason;
  /** Human-readable why, e.g. "cosine 0.997 between the images' embeddings". */
  detail: string;
  exampleIds: number[];
  images: string[];
}

/** Progress of a running job. */
export interface MiningProgress {
  jobId: number;
  /** 'ask' answers the pairs; 'signals' fills in missing signals of the job's examples (done/total count examples). */
  phase?: 'ask' | 'signals';
  /** Set on the last event of a signals pass (finished or stopped). */
  ended?: boolean;
  state: MiningJobState;
  done: number;
  failed: number;
  total: number;
  /** Pairs per second over this run, null before the first pair. */
  rate: number | null;
  /** Seconds left at that rate, null when unknown. */
  etaSeconds: number | null;
  /** The file being asked about. */
  file: string | null;
}

/** A signal a later pass can fill in. */
export type FillableSignal = 'detail' | 'instability' | 'margin' | 'ood';

/** An example of a job whose signals row misses something: what the signals pass needs to compute it. */
export interface SignalsWork {
  exampleId: number;
  imageSha256: string;
  imagePath: string;
  question: string;
  answer: string;
  signals: ExampleSignals;
}

/** What the signals pass stores for one example (the kept selection of the answer is left as it is). */
export interface SignalsUpdate {
  exampleId: number;
  detail: { full: number; globalOnly: number } | null;
  signals: ExampleSignals;
}
