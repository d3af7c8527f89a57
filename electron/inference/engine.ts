// Inference process: the engine — one loaded model, its feature and KV caches, a one-at-a-time queue, and the
// ask / score flows wiring the stages (encode → select → assemble → generate → sample → detokenize).
import path from 'node:path';
import type { z } from 'zod';
import { AppFailure } from '../shared/errors.ts';
import type {
  AskResult,
  EmbedResult,
  InferenceStatus,
  LoadOptions,
  OcclusionResult,
  ScoreResult,
  StageEvent,
  SweepResult,
} from '../shared/ipc/inference.ts';
import {
  askRequestSchema,
  embedRequestSchema,
  loadOptionsSchema,
  occlusionRequestSchema,
  scoreRequestSchema,
  sweepRequestSchema,
} from '../shared/ipc/inference.ts';
import { loadModel, releaseModel, runEmbed, runProjector, runVision, type LoadedModel } from './model.ts';
import { decoderStep, emptyKv } from './generate.ts';
import type { KvCache } from './kvCache.ts';
import { FeatureCache } from './encode.ts';
import { answer } from './answer.ts';
import { scoreAnswer } from './score.ts';
import { sweep } from './sweep.ts';
import { occlusion } from './occlusion.ts';
import { embedImage } from './embed.ts';
import type { SessionSettings } from './sessions.ts';

/** Parses request arguments; a mismatch is `ipc/bad-args` naming the fields. */
function parseArgs<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  throw new AppFailure(
    'ipc/bad-args',
    `Invalid arguments: ${r.error.issues.map((i) => `${i.path.join('.') || '(args)'}: ${i.message}`).join('; ')}`,
  );
}

/** Emits a stream event for the running request. */
export type Emit = (payload: unknown) => void;

/** The inference engine of this process. */
export class Engine {
  private model: LoadedModel | null = null;
  private settings: SessionSettings = {};
  /**
   * The conversation's KV cache (ask / reselect reuse its prefix). Only a job inside {@link exclusive} may use it, and
   * the cache's lease refuses a second user; score and warm-up run on caches of their own.
   */
  private kv: KvCache | null = null;
  /** The cache of sweep and occlusion jobs (their rows never mix with the conversation's; reused across jobs). */
  private jobKv: KvCache | null = null;
  private readonly features = new FeatureCache(8);
  private queue: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private busy = false;

  /** Loads `modelDir` (replacing the current model) with provider settings; optional warm-up run. */
  async load(raw: LoadOptions): Promise<InferenceStatus> {
    const opts = parseArgs(loadOptionsSchema, raw);
    this.settings = {
      ...(opts.providers ? { providers: opts.providers } : {}),
      ...(opts.intraOpThreads ? { intraOpThreads: opts.intraOpThreads } : {}),
      ...(opts.graphOptimization ? { graphOptimization: opts.graphOptimization } : {}),
    };
    await this.exclusive(async () => {
      await this.unload();
      await this.ensure(opts.modelDir ?? '');
      if (opts.warmup) await this.warmup();
    }, new AbortController().signal);
    return this.status();
  }

  /** The current state. */
  status(): InferenceStatus {
    const m = this.model;
    return {
      model: m ? { dir: m.dir, name: m.manifest.name, template: m.manifest.template, dtype: m.manifest.dtype } : null,
      providers: m?.providers ?? [],
      busy: this.busy,
      queued: this.waiting,
      cachedImages: this.features.size,
    };
  }

  /** Answers a question (queued behind any running generation). */
  async ask(raw: unknown, signal: AbortSignal, emit: Emit): Promise<AskResult> {
    const req = parseArgs(askRequestSchema, raw);
    const stage = (s: StageEvent['stage']): void => emit({ kind: 'stage', requestId: req.requestId, stage: s });
    stage('queued');
    return this.exclusive(async () => {
      const model = await this.ensure(req.modelDir ?? '');
      this.kv ??= emptyKv(model);
      const out = await answer(model, { features: this.features, kv: this.kv }, req, signal, emit, stage);
      return out.result;
    }, signal);
  }

  /** The detail score: answer log-likelihood with the full visual block vs the global view only. */
  async score(raw: unknown, signal: AbortSignal): Promise<ScoreResult> {
    const req = parseArgs(scoreRequestSchema, raw);
    return this.exclusive(async () => scoreAnswer(await this.ensure(req.modelDir ?? ''), this.features, req, signal), signal);
  }

  /** The image embedding (electron/inference/embed.ts), on the shared feature cache. */
  async embed(raw: unknown, signal: AbortSignal): Promise<EmbedResult> {
    const req = parseArgs(embedRequestSchema, raw);
    return this.exclusive(async () => embedImage(await this.ensure(req.modelDir ?? ''), this.features, req, signal), signal);
  }

  /** The question at every selector setting (`sweep.ts`); the conversation's cache is left alone. */
  async sweep(raw: unknown, signal: AbortSignal, emit: Emit): Promise<SweepResult> {
    const req = parseArgs(sweepRequestSchema, raw);
    return this.exclusive(async () => {
      const model = await this.ensure(req.modelDir ?? '');
      this.jobKv ??= emptyKv(model);
      return sweep(model, { features: this.features, kv: this.jobKv }, req, signal, emit);
    }, signal);
  }

  /** What the answer `tokenIds` depended on: the occlusion job (`occlusion.ts`) on the job cache. */
  async occlusion(raw: unknown, signal: AbortSignal, emit: Emit): Promise<OcclusionResult> {
    const req = parseArgs(occlusionRequestSchema, raw);
    return this.exclusive(async () => {
      const model = await this.ensure(req.modelDir ?? '');
      this.jobKv ??= emptyKv(model);
      return occlusion(model, { features: this.features, kv: this.jobKv }, req, signal, emit);
    }, signal);
  }

  /** Forgets cached image features and the KV caches (a new conversation; benchmarks measure cold requests). */
  resetCaches(): void {
    this.kv = null;
    this.jobKv = null;
    this.features.clear();
  }

  /** Releases the model and caches. */
  async unload(): Promise<void> {
    const m = this.model;
    this.model = null;
    this.kv = null;
    this.jobKv = null;
    this.features.clear();
    if (m) await releaseModel(m);
  }

  private async ensure(dir: string): Promise<LoadedModel> {
    if (!dir && this.model) return this.model;
    if (!dir) throw new AppFailure('inference/model-missing', 'No model folder was given and none is loaded');
    const abs = path.resolve(dir);
    if (this.model?.dir === abs) return this.model;
    await this.unload();
    this.model = await loadModel(abs, this.settings);
    return this.model;
  }

  /** Runs every graph once on a blank 3-view input so the first request does not pay graph initialisation. */
  private async warmup(): Promise<void> {
    const m = this.model;
    if (!m) return;
    const S = m.manifest.vision.image_size;
    const feats = await runVision(m, new Float32Array(3 * 3 * S * S), 3);
    await runProjector(m, feats, 2);
    const e = await runEmbed(m, [m.manifest.separator_id]);
    const kv = emptyKv(m);
    await kv.lease('warm-up', () => decoderStep(m, kv, e, ['warmup']));
  }

  /** Runs `fn` after every earlier job; a request cancelled while waiting fails at once but keeps its place. */
  private exclusive<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
    this.waiting++;
    const prior = this.queue;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(new AppFailure('inference/cancelled', 'The request was cancelled'));
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue = prior.then(async () => {
        this.waiting--;
        if (signal.aborted) return;
        this.busy = true;
        try {
          resolve(await fn());
        } catch (thrown) {
          reject(thrown);
        } finally {
          this.busy = false;
          signal.removeEventListener('abort', onAbort);
        }
      });
    });
  }
}
