// Contract of the main ↔ inference-process hop: what the inference process serves (through the shared `serve`
// loop) and what main's services call (through the shared ContractClient). Images arrive as paths here.
import { z } from 'zod';
import { defineContract, method } from './contract.ts';
import type { ProviderInfo } from './app.ts';
import {
  askRequestSchema,
  embedRequestSchema,
  type EmbedResult,
  loadOptionsSchema,
  scoreRequestSchema,
  sweepRequestSchema,
  occlusionRequestSchema,
  type AskResult,
  type OcclusionResult,
  type SweepResult,
  type InferenceStatus,
  type ModelSummary,
  type ScoreResult,
} from './inference.ts';

const folder = z.string();

/** The `inferenceProcess` contract. Every method may also fail with `process/crashed`, `process/timeout`, `process/cancelled`. */
export const inferenceProcessContract = defineContract('inferenceProcess', {
  /** Liveness probe: echoes its argument with the process's pid. */
  ping: method<{ pong: unknown; pid: number }, z.ZodTuple<[z.ZodUnknown], null>>(z.tuple([z.unknown()])),
  /** Execution providers onnxruntime-node reports on this machine. */
  providers: method<ProviderInfo[]>(),
  /** Validates the default folder and the given ones (duplicates once, default first). Never fails per folder. */
  listModels: method<ModelSummary[], z.ZodTuple<[z.ZodArray<z.ZodString>, z.ZodString], null>>(z.tuple([z.array(folder), folder])),
  /** Validates one folder; the second argument is the default folder (marks `isDefault`). */
  validateModel: method<ModelSummary, z.ZodTuple<[z.ZodString, z.ZodString], null>>(z.tuple([folder, folder])),
  /** Loads a model with provider settings. Errors: `inference/model-*`, `inference/provider-failed`. */
  loadModel: method<InferenceStatus, z.ZodTuple<[typeof loadOptionsSchema], null>>(z.tuple([loadOptionsSchema])),
  /** Answers a question about the image at a path; streams `{ kind: 'token' | 'stage', requestId, … }` events. */
  ask: method<AskResult, z.ZodTuple<[typeof askRequestSchema], null>>(z.tuple([askRequestSchema])),
  /** Same as ask; the features of an already-seen image come from the cache. */
  reselect: method<AskResult, z.ZodTuple<[typeof askRequestSchema], null>>(z.tuple([askRequestSchema])),
  /** The detail score of an answer (image at a path). */
  score: method<ScoreResult, z.ZodTuple<[typeof scoreRequestSchema], null>>(z.tuple([scoreRequestSchema])),
  /** The image embedding (image at a path). */
  embed: method<EmbedResult, z.ZodTuple<[typeof embedRequestSchema], null>>(z.tuple([embedRequestSchema])),
  /** The selector sweep (image at a path); streams `{ kind: 'progress', … }` and is cancelled by aborting the call. */
  sweep: method<SweepResult, z.ZodTuple<[typeof sweepRequestSchema], null>>(z.tuple([sweepRequestSchema])),
  /** The occlusion job (image at a path); streams `{ kind: 'progress', … }` and is cancelled by aborting the call. */
  occlusion: method<OcclusionResult, z.ZodTuple<[typeof occlusionRequestSchema], null>>(z.tuple([occlusionRequestSchema])),
  /** Loaded model, providers per graph, queue. */
  status: method<InferenceStatus>(),
  /** Test hook: crashes the process the hard way (honoured only with SLIME_TEST_HOOKS=1). */
  crash: method<boolean>(),
  /** Test hook: waits `ms` or until cancelled (honoured only with SLIME_TEST_HOOKS=1). */
  sleep: method<{ slept: number; cancelled: boolean }, z.ZodTuple<[z.ZodNumber], null>>(z.tuple([z.number().min(0)])),
});

/** The `inferenceProcess` contract's type. */
export type InferenceProcessContract = typeof inferenceProcessContract;
