// Implements the `inference` contract over the inference-process supervisor; shared by Electron main, the CLI
// and tests. Routes calls, streams per-request events to the sink, maps cancels; it never computes.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { EventSink, ServiceImpl } from '../../shared/ipc/contract.ts';
import type { JobProgressEvent, StageEvent, TokenEvent, inferenceContract } from '../../shared/ipc/inference.ts';
import type { ContractClient } from '../../shared/process/client.ts';
import type { InferenceProcessContract } from '../../shared/ipc/inferenceProcess.ts';
import type { RequestOptions } from '../../shared/process/supervisor.ts';
import { AppFailure, unwrapInference, type Result } from '../../shared/errors.ts';

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
type ImageRequest = { image: { path: string } | { hash: string }; modelDir?: string | undefined };

/** What every call of the service shares: its host, the calls running by request id, the base timeout. */
interface ServiceState {
  deps: InferenceServiceDeps;
  running: Map<string, AbortController>;
  timeoutMs: number;
}

/** Supervisor options: a time limit, the cancel signal, and progress-based timing when events are streamed. */
function callOptions(limitMs: number, signal?: AbortSignal, onEvent?: (p: unknown) => void): RequestOptions {
  return { timeoutMs: limitMs, ...(signal ? { signal } : {}), ...(onEvent ? { onEvent, idleTimeout: true } : {}) };
}

/** The time limit for requests on `modelDir` (the default model when absent). */
function limitFor(state: ServiceState, modelDir: string | undefined): Promise<number> {
  return modelTimeoutMs(modelDir ?? state.deps.defaultModelDir, state.timeoutMs);
}

/** The request with its image hash resolved to a stored file. Errors: `image/not-found`. */
async function resolveImage<T extends ImageRequest>(deps: InferenceServiceDeps, req: T): Promise<T> {
  if ('path' in req.image) return req;
  const found = deps.resolveImageHash ? await deps.resolveImageHash(req.image.hash) : null;
  if (!found) throw new AppFailure('image/not-found', `No image with hash ${req.image.hash} in the dataset store`);
  return { ...req, image: { path: found } };
}

/** The request with its image hash resolved and the default model filled in. */
async function located<T extends ImageRequest>(deps: InferenceServiceDeps, req: T): Promise<T> {
  const resolved = await resolveImage(deps, req);
  return { ...resolved, modelDir: resolved.modelDir ?? deps.defaultModelDir };
}

/** Publishes the inference process's token, stage and progress events to the service's subscribers. */
function forwarder(deps: InferenceServiceDeps): (payload: unknown) => void {
  return (payload) => {
    if (typeof payload !== 'object' || payload === null || !deps.emit) return;
    const p = payload as { kind?: unknown };
    if (p.kind === 'token') deps.emit('token', payload as TokenEvent);
    else if (p.kind === 'stage') deps.emit('stage', payload as StageEvent);
    else if (p.kind === 'progress') deps.emit('progress', payload as JobProgressEvent);
  };
}

/** Runs a call under `requestId` so `cancel(requestId)` reaches it; one running call per id. */
async function tracked<T>(state: ServiceState, requestId: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (state.running.has(requestId)) throw new AppFailure('ipc/bad-args', `requestId ${requestId} is already running`);
  const controller = new AbortController();
  state.running.set(requestId, controller);
  try {
    return await run(controller.signal);
  } finally {
    state.running.delete(requestId);
  }
}

/** Runs a cancellable call that streams events, with a progress-based time limit grown by the model's size. */
function streamed<Q extends ImageRequest & { requestId: string }, R>(
  state: ServiceState,
  request: Q,
  call: (located: Q, options: RequestOptions) => Promise<Result<R>>,
): Promise<R> {
  return tracked(state, request.requestId, async (signal) => {
    const args = await located(state.deps, request);
    const options = callOptions(await limitFor(state, args.modelDir), signal, forwarder(state.deps));
    return unwrapInference(await call(args, options));
  });
}

/** Builds the `inference` service. */
export function createInferenceService(deps: InferenceServiceDeps): Impl {
  const state: ServiceState = { deps, running: new Map(), timeoutMs: deps.timeoutMs ?? 600_000 };
  const call = callOptions(state.timeoutMs);
  return {
    listModels: async (...[dirs]) => unwrapInference(await deps.inference.callWith('listModels', [dirs, deps.defaultModelDir], call)),
    validateModel: async (...[dir]) => unwrapInference(await deps.inference.callWith('validateModel', [dir, deps.defaultModelDir], call)),
    loadModel: async (...[load]) => {
      const limit = callOptions(await limitFor(state, load.modelDir));
      return unwrapInference(
        await deps.inference.callWith('loadModel', [{ ...load, modelDir: load.modelDir ?? deps.defaultModelDir }], limit),
      );
    },
    ask: (...[request]) => streamed(state, request, (args, o) => deps.inference.callWith('ask', [args], o)),
    reselect: (...[request]) => streamed(state, request, (args, o) => deps.inference.callWith('reselect', [args], o)),
    cancel: (...[requestId]) => {
      const controller = state.running.get(requestId);
      controller?.abort();
      return controller !== undefined;
    },
    status: async () => unwrapInference(await deps.inference.callWith('status', [], call)),
    embed: async (...[request]) => unwrapInference(await deps.inference.callWith('embed', [await located(deps, request)], call)),
    sweep: (...[request]) => streamed(state, request, (args, o) => deps.inference.callWith('sweep', [args], o)),
    occlusion: (...[request]) => streamed(state, request, (args, o) => deps.inference.callWith('occlusion', [args], o)),
    score: async (...[request]) => {
      const args = [await located(deps, request)] as const;
      // Two silent prefills (full, then global only).
      const limit = callOptions(2 * (await limitFor(state, args[0].modelDir)));
      return unwrapInference(await deps.inference.callWith('score', [...args], limit));
    },
  };
}
