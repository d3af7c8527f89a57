// Implements the `inference` contract over the inference-process supervisor; shared by Electron main, the CLI
// and tests. Routes calls, streams per-request events to the sink, maps cancels; it never computes.
import type { EventSink, ServiceImpl } from '../../shared/ipc/contract.ts';
import type {
  AskResult,
  InferenceStatus,
  ModelSummary,
  ScoreResult,
  StageEvent,
  TokenEvent,
  inferenceContract,
} from '../../shared/ipc/inference.ts';
import type { Supervisor } from '../../shared/process/supervisor.ts';
import { AppFailure, type Result } from '../../shared/errors.ts';
import { readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Resolves a content hash to the dataset store's file (`<imagesDir>/<first two hex>/<sha256>.<ext>`, the layout
 * database/imageStore.ts writes), or null.
 */
export function storeImageResolver(imagesDir: string): (hash: string) => Promise<string | null> {
  return async (hash) => {
    const h = hash.toLowerCase();
    const dir = path.join(imagesDir, h.slice(0, 2));
    const names = await readdir(dir).catch(() => [] as string[]);
    const name = names.find((n) => n.startsWith(`${h}.`));
    return name ? path.join(dir, name) : null;
  };
}

/** What the inference service needs from its host. */
export interface InferenceServiceDeps {
  inference: Supervisor;
  /** Publishes `token` / `stage` events to subscribers (renderer, CLI). */
  emit?: EventSink<typeof inferenceContract>;
  /** The shipped default model folder. */
  defaultModelDir: string;
  /** Resolves a dataset content hash to an absolute image path (the dataset store provides it). */
  resolveImageHash?: (hash: string) => Promise<string | null>;
  /** Per-call timeout for ask/score (ms, default 10 minutes); loading gets the same. */
  timeoutMs?: number;
}

type Impl = ServiceImpl<typeof inferenceContract>;

/** Builds the `inference` service. */
export function createInferenceService(deps: InferenceServiceDeps): Impl {
  const running = new Map<string, AbortController>();
  const timeoutMs = deps.timeoutMs ?? 600_000;

  async function call<T>(methodName: string, args: unknown, signal?: AbortSignal, onEvent?: (p: unknown) => void): Promise<T> {
    const options = { timeoutMs, ...(signal ? { signal } : {}), ...(onEvent ? { onEvent } : {}) };
    const r: Result<T> = await deps.inference.request<T>(methodName, args, options);
    if (r.ok) return r.value;
    const code =
      r.error.code === 'process/crashed'
        ? 'inference/crashed'
        : r.error.code === 'process/cancelled'
          ? 'inference/cancelled'
          : r.error.code === 'process/timeout'
            ? 'inference/timeout'
            : r.error.code;
    throw new AppFailure(code, r.error.message, r.error.details);
  }

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
  }

  async function askVia(methodName: 'ask' | 'reselect', request: Parameters<Impl['ask']>[0]): Promise<AskResult> {
    if (running.has(request.requestId)) throw new AppFailure('ipc/bad-args', `requestId ${request.requestId} is already running`);
    const controller = new AbortController();
    running.set(request.requestId, controller);
    try {
      const resolved = await resolveImage(request);
      return await call<AskResult>(
        methodName,
        { ...resolved, modelDir: resolved.modelDir ?? deps.defaultModelDir },
        controller.signal,
        forward,
      );
    } finally {
      running.delete(request.requestId);
    }
  }

  return {
    listModels: (...[dirs]) => call<ModelSummary[]>('listModels', { dirs, defaultModelDir: deps.defaultModelDir }),
    validateModel: (...[dir]) => call<ModelSummary>('validateModel', { dir, defaultModelDir: deps.defaultModelDir }),
    loadModel: (...[options]) => call<InferenceStatus>('loadModel', { ...options, modelDir: options.modelDir ?? deps.defaultModelDir }),
    ask: (...[request]) => askVia('ask', request),
    reselect: (...[request]) => askVia('reselect', request),
    cancel: (...[requestId]) => {
      const controller = running.get(requestId);
      controller?.abort();
      return controller !== undefined;
    },
    status: () => call<InferenceStatus>('status', {}),
    score: async (...[request]) => {
      const resolved = await resolveImage(request);
      return call<ScoreResult>('score', { ...resolved, modelDir: resolved.modelDir ?? deps.defaultModelDir });
    },
  };
}
