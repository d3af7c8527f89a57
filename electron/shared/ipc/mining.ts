// Contracts of hard-example mining: the database methods (declared once here, spread into the `database` contract;
// the renderer-visible ones also into the `mining` contract, forwarded unchanged) and the `mining` service.
import { z } from 'zod';
import { defineContract, event, method, type MethodSpec } from './contract.ts';
import { id, sha, tagName } from './datasetSchemas.ts';
import type { Page } from './datasetTypes.ts';
import type {
  MiningJob,
  MiningProgress,
  PendingPair,
  ReasonedDuplicateGroup,
  RegionCoverage,
  ReviewItem,
  SignalsWork,
  SimilarImage,
} from './miningTypes.ts';

export * from './miningTypes.ts';

function takes<R>(): <A extends z.ZodTuple>(args: A) => MethodSpec<A, R> {
  return (args) => method<R, typeof args>(args);
}

const question = z.string().trim().min(1).max(2000);

/** Job settings as the caller gives them (defaults filled in). */
export const miningSettingsSchema = z.object({
  questions: z.array(question).max(1000).default([]),
  perImage: z.record(z.string().max(1000), z.array(question).max(1000)).default({}),
  selector: z
    .object({
      mode: z.enum(['legacy', 'single']).optional(),
      topP: z.number().gt(0).max(1).optional(),
      temperature: z.number().positive().optional(),
    })
    .default({}),
  sampling: z
    .object({ maxNewTokens: z.number().int().min(1).max(4096).optional(), temperature: z.number().min(0).max(5).optional() })
    .default({}),
  signals: z
    .object({ detail: z.boolean().default(true), stability: z.boolean().default(true), embedding: z.boolean().default(true) })
    .default({
      detail: true,
      stability: true,
      embedding: true,
    }),
  tags: z.array(tagName).max(100).default([]),
});

/** Starting an ask-a-folder job. */
export const askFolderSchema = z.object({
  folder: z.string().min(1).max(4000),
  modelDir: z.string().min(1).max(4000).optional(),
  /**
   * A questions file read in Node (the page cannot read files): one question per line (`#` comments), or JSON — a list,
   * or `{ "questions": [...], "perImage": { "sub/a.png": [...] } }`. Merged into `settings`; the job stores the result.
   */
  questionsFile: z.string().min(1).max(4000).optional(),
  settings: miningSettingsSchema,
});
export type AskFolderOptions = z.input<typeof askFolderSchema>;

const signalsSchema = z.object({
  detail: z.number().nullable(),
  instability: z.number().min(0).max(1).nullable(),
  sweep: z.array(z.object({ id: z.string(), answer: z.string(), keptLocal: z.number(), divergeAt: z.number().nullable() })).nullable(),
  margin: z.number().nullable(),
  oodScore: z.number().nullable(),
  inDist: z.boolean().nullable(),
  needsDetail: z.number(),
  missing: z.array(z.string()),
});

/** Review queue query: sorted by "needs local detail", highest first. */
export const reviewQuerySchema = z.object({
  jobId: id.optional(),
  inDist: z.boolean().optional(),
  evidenceDropped: z.boolean().optional(),
  /** A region is "dropped" when less than this share of its cells was kept (default 0.5). */
  coverageBelow: z.number().min(0).max(1).optional(),
  offset: z.number().int().min(0).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});
export type ReviewQuery = z.infer<typeof reviewQuerySchema>;

/** Mining reads the renderer may call directly (forwarded unchanged by the mining service). */
export const miningDataMethods = {
  /** Every mining job, newest first, with pair counts. */
  listMiningJobs: method<MiningJob[]>(),
  /** One job. Errors: `db/not-found`. */
  getMiningJob: takes<MiningJob>()(z.tuple([id])),
  /** Examples with signals sorted by "needs local detail" (OOD rows always last), filterable. */
  reviewQueue: takes<Page<ReviewItem>>()(z.tuple([reviewQuerySchema])),
  /**
   * One example's evidence coverage (each region's share of kept selector cells) and whether the selector dropped the
   * evidence (some region below `coverageBelow`, default 0.5); null when the example has no regions or no stored
   * selection (not a mined answer).
   */
  evidenceCoverage: takes<{ coverage: RegionCoverage[]; dropped: boolean } | null>()(
    z.tuple([id, z.object({ coverageBelow: z.number().min(0).max(1).optional() })]),
  ),
  /** The `k` images most similar to an image (cosine of stored embeddings of the same model). Errors: `db/not-found`. */
  similarImages: takes<SimilarImage[]>()(z.tuple([sha, z.object({ k: z.number().int().min(1).max(200).optional() })])),
  /**
   * Near-duplicate groups that say why: same image + same question, same image (different questions: not duplicates),
   * near-identical images (perceptual hashes within `maxDistance` bits, default 6; embedding cosine ≥ `minCosine`,
   * default 0.98, when both images have one).
   */
  reasonedDuplicates: takes<ReasonedDuplicateGroup[]>()(
    z.tuple([z.object({ minCosine: z.number().min(0).max(1).optional(), maxDistance: z.number().int().min(0).max(32).optional() })]),
  ),
};

/** Worker-only mining methods (the job runner in Node calls them). */
export const miningWorkerMethods = {
  createMiningJob: takes<MiningJob>()(
    z.tuple([
      z.object({ folder: z.string(), modelDir: z.string(), manifestSha256: z.string().nullable(), settings: miningSettingsSchema }),
    ]),
  ),
  /** Adds pairs (ignores ones already there: the key is job, image sha256, question). */
  addMiningPairs: takes<{ added: number }>()(
    z.tuple([id, z.array(z.object({ imageSha256: sha, question, file: z.string().max(4000) })).max(100_000)]),
  ),
  /** Ends the scan: distinct image count and skipped files; the job becomes `ready`. */
  finishMiningScan: takes<MiningJob>()(z.tuple([id, z.number().int().min(0), z.array(z.object({ file: z.string(), reason: z.string() }))])),
  setMiningJobState: takes<MiningJob>()(z.tuple([id, z.enum(['scanning', 'ready', 'running', 'paused', 'cancelled', 'done'])])),
  /** Up to `limit` pending pairs, grouped by image (so one image's questions run back to back on cached features). */
  nextMiningPairs: takes<PendingPair[]>()(z.tuple([id, z.number().int().min(1).max(10_000)])),
  /** Creates the draft example and its signals and marks the pair done, atomically; a pair already done is left alone. */
  completeMiningPair: takes<{ exampleId: number; already: boolean }>()(
    z.tuple([
      z.object({
        jobId: id,
        imageSha256: sha,
        question,
        answer: z.string().max(1_000_000),
        provenance: z.record(z.string(), z.unknown()),
        tags: z.array(tagName).max(100),
        detail: z.object({ full: z.number(), globalOnly: z.number() }).nullable(),
        signals: signalsSchema,
        inspection: z.unknown(),
      }),
    ]),
  ),
  /**
   * The job's live examples whose signals miss one of `wanted`, one image's examples together (the signals pass).
   * The answer and question are the example's first turn as it is now (edits included).
   */
  examplesMissingSignals: takes<SignalsWork[]>()(z.tuple([id, z.array(z.enum(['detail', 'instability', 'margin', 'ood'])).min(1)])),
  /** Stores what the signals pass computed for one example (signals row and detail score; kept selection unchanged). */
  updateSignals: takes<boolean>()(
    z.tuple([
      z.object({ exampleId: id, detail: z.object({ full: z.number(), globalOnly: z.number() }).nullable(), signals: signalsSchema }),
    ]),
  ),
  /** Marks a pair failed with why (a resume retries failed pairs only when asked). */
  failMiningPair: takes<boolean>()(z.tuple([id, sha, question, z.string().max(4000)])),
  /** Stores an image's embedding for a model (replaces). */
  storeEmbedding: takes<boolean>()(z.tuple([sha, z.string().min(1).max(200), z.array(z.number()).min(1).max(65_536)])),
  /** An image's embedding for a model, or null. */
  getEmbedding: takes<number[] | null>()(z.tuple([sha, z.string().min(1).max(200)])),
};

/** The `mining` service: the data methods plus running ask-a-folder jobs. */
export const miningContract = defineContract(
  'mining',
  {
    ...miningDataMethods,
    /**
     * Creates a job for a folder, scans it and starts answering; resolves once the job exists. Errors: `io/not-found`
     * (folder or questions file), `ipc/bad-args` (no question, a malformed questions file).
     */
    askFolder: takes<MiningJob>()(z.tuple([askFolderSchema])),
    /** Resumes a paused, interrupted or ready job (pairs already done are never redone). Errors: `db/not-found`, `db/conflict`. */
    resumeJob: takes<MiningJob>()(z.tuple([id])),
    /**
     * Fills in the signals a job's examples miss (asked with signals off, or cut short), in the background with
     * progress (`phase: 'signals'`); resumable by calling it again — what is stored stays, the rest is computed.
     * Errors: `db/not-found`, `db/conflict` (the job is running here).
     */
    computeSignals: takes<MiningJob>()(z.tuple([id])),
    /** Pauses a running job after the pair in flight; false when it was not running here. */
    pauseJob: takes<boolean>()(z.tuple([id])),
    /** Cancels a job for good (done pairs stay); false when no such job. */
    cancelJob: takes<boolean>()(z.tuple([id])),
  },
  {
    /** Progress of a running job. */
    progress: event<MiningProgress>(),
  },
);

/** The `mining` contract's type. */
export type MiningContract = typeof miningContract;
