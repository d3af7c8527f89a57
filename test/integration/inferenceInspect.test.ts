// Integration: the inspector's engine operations through the inference service and the real forked inference
// process on the slime-tiny model — the kept-set override and its error code, the sweep with progress events and
// cancel, the occlusion job.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { ContractClient } from '../../electron/shared/process/client.ts';
import { inferenceProcessContract } from '../../electron/shared/ipc/inferenceProcess.ts';
import { Supervisor } from '../../electron/shared/process/supervisor.ts';
import { forkSpawner } from '../../electron/node/forkChild.ts';
import { INFERENCE_ENTRY } from '../../electron/node/paths.ts';
import { createInferenceService } from '../../electron/node/services/inferenceService.ts';
import type { JobProgressEvent } from '../../electron/shared/ipc/inference.ts';
import { inferenceContract } from '../../electron/shared/ipc/inference.ts';
import { AppFailure, toAppError } from '../../electron/shared/errors.ts';
import { createRouter, bind } from '../../electron/shared/ipc/router.ts';
import { methodChannel, type ClientApi } from '../../electron/shared/ipc/contract.ts';

type Unwrapped<T> = T extends (...a: infer A) => Promise<{ ok: true; value: infer R } | { ok: false }> ? (...a: A) => Promise<R> : never;
type Client = { [K in keyof typeof inferenceContract.methods]: Unwrapped<ClientApi<typeof inferenceContract>[K]> };

const MODEL = path.resolve(import.meta.dirname, '../fixtures/slime-tiny');
const IMAGE = { path: path.join(MODEL, 'images', 'wide.png') };
const Q = 'What color is the small square?';
const progress: JobProgressEvent[] = [];
let sup: Supervisor;
let svc: Client;

beforeAll(() => {
  sup = new Supervisor({ spawn: forkSpawner(INFERENCE_ENTRY), name: 'inference', defaultTimeoutMs: 60_000 });
  const impl = createInferenceService({
    inference: new ContractClient(inferenceProcessContract, sup),
    defaultModelDir: MODEL,
    emit: (name, payload) => {
      if (name === 'progress') progress.push(payload as JobProgressEvent);
    },
  });
  const router = createRouter([bind(inferenceContract, impl)]);
  const client: Record<string, (...a: unknown[]) => Promise<unknown>> = {};
  for (const name of Object.keys(inferenceContract.methods))
    client[name] = async (...args) => {
      const r = await router.dispatch(methodChannel('inference', name), args);
      if (!r.ok) throw new AppFailure(r.error.code, r.error.message);
      return r.value;
    };
  svc = client as unknown as Client;
});
afterAll(() => sup.stop());

const code = (p: Promise<unknown>): Promise<string> => p.then(() => 'ok').catch((t: unknown) => toAppError(t).code);

describe('inspector operations over the inference process', () => {
  it('asks with a forced kept set and records it; an out-of-range set is ipc/bad-args', async () => {
    const r = await svc.ask({ requestId: 'k1', image: IMAGE, question: Q, selector: { keep: [0, 5] }, sampling: { maxNewTokens: 4 } });
    expect(r.inspection.tokens.localAfter).toBe(2);
    expect(r.inspection.selector.override).toEqual({ kind: 'keep', count: 2 });
    expect(r.inspection.firstStep?.top).toHaveLength(5);
    expect(await code(svc.ask({ requestId: 'k2', image: IMAGE, question: Q, selector: { keep: [96] } }))).toBe('ipc/bad-args');
    expect(await code(svc.ask({ requestId: 'k3', image: IMAGE, question: Q, selector: { keep: [1, 1] } }))).toBe('ipc/bad-args');
  });

  it('sweeps every setting with progress events', async () => {
    const s = await svc.sweep({ requestId: 'sw1', image: IMAGE, question: Q, maxNewTokens: 4, bothModes: true });
    expect(s.settings.map((x) => x.id)).toEqual(['global', 'p0.5', 'p0.8', 'p0.95', 'all', 'single:p0.5', 'single:p0.8', 'single:p0.95']);
    expect(s.settings[0]!.keptLocal).toBe(0);
    expect(s.settings[4]!.keptLocal).toBe(96);
    expect(progress.filter((p) => p.requestId === 'sw1').map((p) => p.done)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('cancels a sweep by its requestId', async () => {
    const p = svc.sweep({ requestId: 'sw2', image: IMAGE, question: Q, maxNewTokens: 200 });
    while (!progress.some((e) => e.requestId === 'sw2')) await new Promise((r) => setTimeout(r, 1));
    const t0 = performance.now();
    expect(await svc.cancel('sw2')).toBe(true);
    expect(await code(p)).toBe('inference/cancelled');
    while ((await svc.status()).busy) await new Promise((r) => setTimeout(r, 2));
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it('runs the occlusion job for an answer with progress events', async () => {
    const a = await svc.ask({ requestId: 'o-a', image: IMAGE, question: Q, sampling: { maxNewTokens: 3 } });
    const o = await svc.occlusion({ requestId: 'o1', image: IMAGE, question: Q, tokenIds: a.tokenIds });
    expect(o.groups.length).toBeGreaterThan(0);
    expect(o.cellDrop).toHaveLength(a.inspection.tokens.localBefore);
    expect(progress.filter((p) => p.requestId === 'o1' && p.job === 'occlusion')).toHaveLength(o.groups.length + 1);
  });
});
