// Implements the `inference` contract over the inference-process supervisor; shared by Electron main, the CLI
// and tests. Routes calls, streams per-request events to the sink, maps cancels; it never computes.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { EventSink, ServiceImpl } from '../../shared/ipc/contract.ts';
import type {
  AskRequest,
  AskResult,
  JobProgressEvent,
  OcclusionResult,
  StageEvent,
  SweepResult,
  TokenEvent,
  inferenceContract,
} from '../../shared/ipc/inference.ts';
import type { ContractClient } from '../../shared/process/client.ts';
import type { InferenceProcessContract } from '../../shared/ipc/inferenceProcess.ts';
import type { RequestOptions } from '../../shared/process/supervisor.ts';
import { AppFailure, unwrapInference } from '../../shared/errors.ts';

/** What the inference service needs from its host. */
export interface InferenceServiceDeps {
  inference: ContractClient<InferenceProcessContract>;
  /** Publishes `token` / `stage` events to subscribers (renderer, CLI). */
  emit?: EventSink<typeof inferenceContract>;
  /** The shipped default model folder. */
  defaultModelDir: string;
  /** Resolves a dataset content hash to an absolute image path (the dataset store provides it). */
  resolveImageHash?: (hash: string) => Promise<string | null>;
  /** Base timeout (ms, default 10 minutes), grown by the model's size ({@link modelTimeoutMs}). For ask/reselect it
   *  is progress-based: every stage/token event restarts it, so only that much silence fails a request. */
  timeoutMs?: number;
}

/** Extra time per GB of model files. Measured (models/rehearsal/RESULTS.md, 2 shared cores): Llama3-8B int4 (6.1 GB)
 *  loads in 86 s and its prefill of a 2×3-tile image is silent for 298 s; 150 s/GB gives that model 600 + 915 s. */
export const TIMEOUT_PER_GB_MS = 150_000;

/** The time limit for requests on the model in `modelDir`: `baseMs` plus {@link TIMEOUT_PER_GB_MS} per GB of its files. */
export async function modelTimeoutMs(modelDir: string, baseMs: number): Promise<number> {
  const names = await readdir(modelDir).catch(() => [] as string[]);
  const sizes = await Promise.all(
    names.map(async (n) =>
      stat(path.join(modelDir, n)).then(
        (s) => (s.isFile() ? s.size : 0),
        () => 0,
      ),
    ),
  );
  return baseMs + Math.round((TIMEOUT_PER_GB_MS * sizes.reduce((a, b) => a + b, 0)) / 1e9);
}

type Impl = ServiceImpl<typeof inferenceContract>;

/** Builds the `inference` service. */
export function createInferenceService(deps: InferenceServiceDeps): Impl {
  const running = new Map<string, AbortController>();
  const timeoutMs = deps.timeoutMs ?? 600_000;

  function options(signal?: AbortSignal, onEvent?: (p: unknown) => void, limitMs = timeoutMs): RequestOptions {
    return { timeoutMs: limitMs, ...(signal ? { signal } : {}), ...(onEvent ? { onEvent, idleTimeout: true } : {}) };
  }
  const limitFor = (modelDir: string | undefined): Promise<number> => modelTimeoutMs(modelDir ?? deps.defaultModelDir, timeoutMs);

  async function resolveImage<T extends { image: { path: string } | { hash: string } }>(req: T): Promise<T> {
    if ('path' in req.image) return req;
    const found = deps.resolveImageHash ? await deps.resolveImageHash(req.image.hash) : null;
    if (!found) throw new AppFailure('image/not-found', `No image with hash ${req.image.hash} in the dataset store`);
    return { ...req, image: { path: found } };
  }

  function forward(payload: unknown): void {
    if (typeof payload !== 'object' || payload === null || !deps.emit) return;
    const p = payload as { kind?: unknown };
    if (p.kind === 'token') deps.emit('token', payload as TokenEvent);
    else if (p.kind === 'stage') deps.emit('stage', payload as StageEvent);
    else if (p.kind === 'progress') deps.emit('progress', payload as JobProgressEvent);
  }

  /** Runs a call under `requestId` so `cancel(requestId)` reaches it; one running call per id. */
  async function tracked<T>(requestId: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (running.has(requestId)) throw new AppFailure('ipc/bad-args', `requestId ${requestId} is already running`);
    const controller = new AbortController();
    running.set(requestId, controller);
    try {
      return await run(controller.signal);
    } finally {
      running.delete(requestId);
    }
  }

  function askVia(methodName: 'ask' | 'reselect', request: Parameters<Impl['ask']>[0]): Promise<AskResult> {
    return tracked(request.requestId, async (signal) => {
      const resolved = await resolveImage(request);
      const args: [AskRequest] = [{ ...resolved, modelDir: resolved.modelDir ?? deps.defaultModelDir }];
      const limit = await limitFor(args[0].modelDir);
      return unwrapInference(await deps.inference.callWith(methodName, args, options(signal, forward, limit)));
    });
  }

  /** The request with its image hash resolved and the default model filled in. */
  async function located<T extends { image: { path: string } | { hash: string }; modelDir?: string | undefined }>(req: T): Promise<T> {
    const resolved = await resolveImage(req);
    return { ...resolved, modelDir: resolved.modelDir ?? deps.defaultModelDir };
  }

  return {
    listModels: async (...[dirs]) => unwrapInference(await deps.inference.callWith('listModels', [dirs, deps.defaultModelDir], options())),
    validateModel: async (...[dir]) =>
      unwrapInference(await deps.inference.callWith('validateModel', [dir, deps.defaultModelDir], options())),
    loadModel: async (...[load]) =>
      unwrapInference(
        await deps.inference.callWith(
          'loadModel',
          [{ ...load, modelDir: load.modelDir ?? deps.defaultModelDir }],
          options(undefined, undefined, await limitFor(load.modelDir)),
        ),
      ),
    ask: (...[request]) => askVia('ask', request),
    reselect: (...[request]) => askVia('reselect', request),
    cancel: (...[requestId]) => {
      const controller = running.get(requestId);
      controller?.abort();
      return controller !== undefined;
    },
    status: async () => unwrapInference(await deps.inference.callWith('status', [], options())),
    embed: async (...[request]) => unwrapInference(await deps.inference.callWith('embed', [await located(request)], options())),
    sweep: (...[request]) =>
      tracked(request.requestId, async (signal): Promise<SweepResult> => {
        const args = [await located(request)] as const;
        return unwrapInference(await deps.inference.callWith('sweep', [...args], options(signal, forward, await limitFor(args[0].modelDir))));
      }),
    occlusion: (...[request]) =>
      tracked(request.requestId, async (signal): Promise<OcclusionResult> => {
        const args = [await located(request)] as const;
        return unwrapInference(await deps.inference.callWith('occlusion', [...args], options(signal, forward, await limitFor(args[0].modelDir))));
      }),
    score: async (...[request]) => {
      const resolved = await resolveImage(request);
      return unwrapInference(
        await deps.inference.callWith(
          'score',
          [{ ...resolved, modelDir: resolved.modelDir ?? deps.defaultModelDir }],
          // Two silent prefills (full, then global only).
          options(undefined, undefined, 2 * (await limitFor(resolved.modelDir))),
        ),
      );
    },
  };
}
