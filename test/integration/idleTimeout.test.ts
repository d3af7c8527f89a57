// Integration: progress-based request timeouts over a real forked child (the supervisor's `idleTimeout`, which the
// inference service uses for ask/reselect) — a request that keeps streaming outlives its timeout, one that goes silent
// fails after that much silence; and the inference service's limit grows with the model folder's size.
import { mkdtempSync, openSync, ftruncateSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Supervisor } from '../../electron/shared/process/supervisor.ts';
import { forkSpawner } from '../../electron/node/forkChild.ts';
import { TIMEOUT_PER_GB_MS, modelTimeoutMs } from '../../electron/node/services/inferenceService.ts';

const CHILD = path.join(import.meta.dirname, 'fixtures', 'tickingChild.ts');
let sup: Supervisor | undefined;
afterEach(async () => {
  await sup?.stop();
  sup = undefined;
});

function make(): Supervisor {
  return new Supervisor({ spawn: forkSpawner(CHILD), name: 'ticking' });
}

describe('progress-based timeout', () => {
  it('lets a request that keeps sending events run past its timeout, and a fixed timeout stops it', async () => {
    sup = make();
    const events: unknown[] = [];
    // Events every 40 ms for 1.6 s against a 500 ms limit.
    const idle = await sup.request<number>('tick', [40, 1_600, 0], { timeoutMs: 500, idleTimeout: true, onEvent: (e) => events.push(e) });
    expect(idle).toMatchObject({ ok: true });
    expect(idle.ok && idle.value).toBe(events.length);
    expect(events.length).toBeGreaterThan(10);
    const fixed = await sup.request('tick', [40, 1_600, 0], { timeoutMs: 500 });
    expect(fixed).toMatchObject({ ok: false, error: { code: 'process/timeout', message: 'tick did not answer within 500 ms' } });
  });

  it('fails a request that goes silent after that much silence', async () => {
    sup = make();
    const started = performance.now();
    const r = await sup.request('tick', [40, 400, 5_000], { timeoutMs: 500, idleTimeout: true });
    const elapsed = performance.now() - started;
    expect(r).toMatchObject({ ok: false, error: { code: 'process/timeout', message: 'tick sent nothing for 500 ms' } });
    expect(elapsed).toBeGreaterThanOrEqual(850); // 400 ms of events, then 500 ms of silence
    expect(elapsed).toBeLessThan(4_000);
  });
});

describe('inference time limit by model size', () => {
  it('adds TIMEOUT_PER_GB_MS per GB of model files to the base', async () => {
    const tiny = path.resolve(import.meta.dirname, '../fixtures/slime-tiny');
    const tinyLimit = await modelTimeoutMs(tiny, 600_000);
    expect(tinyLimit).toBeGreaterThan(600_000);
    expect(tinyLimit).toBeLessThan(602_000);
    // An 8B int4 folder holds ~6.1 GB (models/rehearsal/RESULTS.md): a sparse file of that size stands in for it.
    const big = mkdtempSync(path.join(os.tmpdir(), 'slime-timeout-'));
    const fd = openSync(path.join(big, 'decoder.onnx.data'), 'w');
    ftruncateSync(fd, 6_105_300_000);
    closeSync(fd);
    expect(await modelTimeoutMs(big, 600_000)).toBe(600_000 + Math.round(TIMEOUT_PER_GB_MS * 6.1053));
    expect(await modelTimeoutMs(path.join(big, 'missing'), 600_000)).toBe(600_000);
  });
});
