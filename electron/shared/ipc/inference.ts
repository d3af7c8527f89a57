// Contract of the `inference` service: model folders, asking about an image (streamed), cancel, status,
// re-selection and the detail score. Pure TypeScript; the renderer, the CLI and tests speak it.
import { z } from 'zod';
import { defineContract, event, method } from './contract.ts';
import {
  keepSchema,
  occlusionFields,
  sweepFields,
  type JobProgressEvent,
  type OcclusionResult,
  type SweepResult,
} from './inferenceInspect.ts';
import { PROVIDER_NAMES, type GraphProvider, type InspectionRecord } from './inferenceRecord.ts';

export type * from './inferenceInspect.ts';
export * from './inferenceRecord.ts';

/** An image: an absolute path, or a content hash the dataset store resolves to a file. */
export const imageRefSchema = z.union([z.object({ path: z.string().min(1) }), z.object({ hash: z.string().regex(/^[0-9a-f]{16,128}$/i) })]);
export type ImageRef = z.infer<typeof imageRefSchema>;

/** One finished turn of the conversation (the image belongs to the first user turn). */
export const turnSchema = z.object({ role: z.enum(['user', 'assistant']), content: z.string() });
export type Turn = z.infer<typeof turnSchema>;

/** Sampling settings; temperature 0 (the default) is greedy. */
export const samplingSchema = z.object({
  temperature: z.number().min(0).max(5).optional(),
  topK: z.number().int().min(0).optional(),
  topP: z.number().gt(0).max(1).optional(),
  repetitionPenalty: z.number().min(0.5).max(3).optional(),
  maxNewTokens: z.number().int().min(1).max(8192).optional(),
  seed: z.number().int().optional(),
});
export type SamplingSettings = z.infer<typeof samplingSchema>;

/**
 * Selector overrides; unset fields come from the model's manifest. top_p ≥ 1 keeps every local token. `keep` replaces
 * the kept decision (scores and probabilities are still computed and reported): see {@link keepSchema}.
 */
export const selectorOverrideSchema = z.object({
  mode: z.enum(['legacy', 'single']).optional(),
  topP: z.number().gt(0).max(1).optional(),
  temperature: z.number().positive().optional(),
  keep: keepSchema.optional(),
});
export type SelectorOverride = z.infer<typeof selectorOverrideSchema>;

/** Arguments of `ask` / `reselect`. `requestId` is chosen by the caller; stream events and `cancel` use it. */
export const askRequestSchema = z.object({
  requestId: z.string().min(1).max(128),
  modelDir: z.string().min(1).optional(),
  image: imageRefSchema,
  question: z.string(),
  history: z.array(turnSchema).max(200).default([]),
  systemPrompt: z.string().max(20_000).optional(),
  sampling: samplingSchema.default({}),
  selector: selectorOverrideSchema.default({}),
  /** Token whose probability at the first generated step the inspection record reports (`firstStep.probe`). */
  probeTokenId: z.number().int().min(0).optional(),
});
export type AskRequest = z.input<typeof askRequestSchema>;
/** An {@link AskRequest} after parsing (defaults filled in). */
export type ParsedAskRequest = z.output<typeof askRequestSchema>;

/** Execution-provider settings for `loadModel`. */
export const loadOptionsSchema = z.object({
  modelDir: z.string().min(1).optional(),
  /** Providers to try in order, replacing the platform ladder (cpu is not appended automatically). */
  providers: z.array(z.enum(PROVIDER_NAMES)).min(1).optional(),
  intraOpThreads: z.number().int().min(0).max(256).optional(),
  graphOptimization: z.enum(['disabled', 'basic', 'extended', 'all']).optional(),
  warmup: z.boolean().optional(),
});
export type LoadOptions = z.input<typeof loadOptionsSchema>;

/** Arguments of `score`: mean log-likelihood of `answer` given the image and question. */
export const scoreRequestSchema = z.object({
  modelDir: z.string().min(1).optional(),
  image: imageRefSchema,
  question: z.string(),
  answer: z.string().min(1),
});
export type ScoreRequest = z.input<typeof scoreRequestSchema>;

/** Arguments of `embed`: the image (by path or dataset hash) and optionally the model folder. */
export const embedRequestSchema = z.object({
  modelDir: z.string().min(1).optional(),
  image: imageRefSchema,
});
export type EmbedRequest = z.input<typeof embedRequestSchema>;
/** An {@link EmbedRequest} after parsing. */
export type ParsedEmbedRequest = z.output<typeof embedRequestSchema>;

/** What `embed` returns: the mean of the global view's LLM-input rows, L2-normalised (float32 values). */
export interface EmbedResult {
  dim: number;
  vector: number[];
  /** sha256 of the image file. */
  imageHash: string;
  featureCacheHit: boolean;
}
/** Arguments of `sweep` (the same question at global-only, top-p 0.5 / 0.8 / 0.95, keep-all). */
export const sweepRequestSchema = z.object({ image: imageRefSchema, ...sweepFields });
export type SweepRequest = z.input<typeof sweepRequestSchema>;

/** Arguments of `occlusion` (what the answer `tokenIds` depended on, under the request's selector setting). */
export const occlusionRequestSchema = z.object({ image: imageRefSchema, selector: selectorOverrideSchema.default({}), ...occlusionFields });
export type OcclusionRequest = z.input<typeof occlusionRequestSchema>;

/** A model folder as listed/validated; `error` is set when it cannot be loaded. */
export interface ModelSummary {
  dir: string;
  name: string | null;
  isDefault: boolean;
  valid: boolean;
  error: { code: string; message: string; fields?: string[] } | null;
  template: string | null;
  dtype: string | null;
  /** Bytes of all graph files. */
  bytes: number | null;
}

/** What `status` and `loadModel` return. */
export interface InferenceStatus {
  model: { dir: string; name: string; template: string; dtype: string } | null;
  providers: GraphProvider[];
  busy: boolean;
  queued: number;
  /** Image-feature cache entries (by image hash). */
  cachedImages: number;
}

/** What `ask` / `reselect` resolve to. */
export interface AskResult {
  requestId: string;
  answer: string;
  tokenIds: number[];
  model: { dir: string; name: string };
  inspection: InspectionRecord;
}

/** One streamed piece of an answer. `text` is complete UTF-8 (never half a character). */
export interface TokenEvent {
  requestId: string;
  text: string;
  /** Tokens generated so far. */
  generated: number;
}

/** Stage progress of a request (for a progress line before the first token). */
export interface StageEvent {
  requestId: string;
  stage: 'queued' | 'decode' | 'preprocess' | 'encode' | 'select' | 'prefill' | 'generate';
}

/**
 * What `score` returns: mean per-token log-likelihood (natural log) of the answer tokens after the llama3/vicuna
 * prompt for `question`. `globalOnly` removes the local tokens *and* the separator row (SliME's own global-only
 * path, `use_global_only`, has no separator); the selector runs on the question prompt without the answer.
 */
export interface ScoreResult {
  full: number;
  globalOnly: number;
  answerTokens: number;
  keptLocal: number;
}

/** The `inference` service. Every method may fail with `process/crashed` (the process restarts on the next call). */
export const inferenceContract = defineContract(
  'inference',
  {
    /** The shipped default model and the given user folders, each validated. Never fails per folder: see `error`. */
    listModels: method<ModelSummary[], z.ZodTuple<[z.ZodDefault<z.ZodArray<z.ZodString>>]>>(z.tuple([z.array(z.string()).default([])])),
    /** Validates one folder (manifest, files, sha256, dimensions). Errors: `inference/model-missing|invalid|unsupported` in `error`. */
    validateModel: method<ModelSummary, z.ZodTuple<[z.ZodString]>>(z.tuple([z.string().min(1)])),
    /** Loads a model (default when `modelDir` is omitted). Errors: `inference/model-*`, `inference/provider-failed`. */
    loadModel: method<InferenceStatus, z.ZodTuple<[typeof loadOptionsSchema]>>(z.tuple([loadOptionsSchema])),
    /**
     * Answers `question` about the image; streams `token` events keyed by `requestId`. Errors: `image/*`,
     * `prompt/empty`, `prompt/too-long`, `inference/model-*`, `inference/cancelled`, `inference/crashed`.
     */
    ask: method<AskResult, z.ZodTuple<[typeof askRequestSchema]>>(z.tuple([askRequestSchema])),
    /** Like `ask`, meant for another selector setting on the same image: encoded features come from the cache. */
    reselect: method<AskResult, z.ZodTuple<[typeof askRequestSchema]>>(z.tuple([askRequestSchema])),
    /** Cancels a running or queued request; resolves true when it was found. The request fails with `inference/cancelled`. */
    cancel: method<boolean, z.ZodTuple<[z.ZodString]>>(z.tuple([z.string().min(1)])),
    /** The loaded model, providers per graph, queue length. */
    status: method<InferenceStatus>(),
    /** Detail score: answer log-likelihood with the full visual block vs. the global view only. */
    score: method<ScoreResult, z.ZodTuple<[typeof scoreRequestSchema]>>(z.tuple([scoreRequestSchema])),
    /** Image embedding (mean of the global view's LLM-input rows, unit length); the feature cache is shared with ask. Errors: `image/*`, `inference/model-*`. */
    embed: method<EmbedResult, z.ZodTuple<[typeof embedRequestSchema]>>(z.tuple([embedRequestSchema])),
    /**
     * The question at every selector setting (greedy): answers, kept counts, TTFT, divergence from the shipped setting,
     * instability and margin. Emits `progress`; cancel with `cancel(requestId)`. Errors as `ask`.
     */
    sweep: method<SweepResult, z.ZodTuple<[typeof sweepRequestSchema]>>(z.tuple([sweepRequestSchema])),
    /**
     * What an answer depended on: drops each group of kept cells (per tile / per block), returns the drop in the
     * answer tokens' log-probability per group and cell, and the agreement with the selector. Emits `progress`;
     * cancel with `cancel(requestId)`. Errors as `ask`, and `ipc/bad-args` for a bad `selector.keep`.
     */
    occlusion: method<OcclusionResult, z.ZodTuple<[typeof occlusionRequestSchema]>>(z.tuple([occlusionRequestSchema])),
  },
  {
    /** A decoded piece of an answer. */
    token: event<TokenEvent>(),
    /** A request moved to another stage. */
    stage: event<StageEvent>(),
    /** Progress of a sweep or occlusion job. */
    progress: event<JobProgressEvent>(),
  },
);
