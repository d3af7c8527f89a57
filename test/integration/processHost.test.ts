// Integration: the supervisor forks the real inference process, round-trips ping, survives SIGKILL.
import { describe, expect, it, afterEach } from 'vitest';
import { Supervisor } from '../../electron/shared/process/supervisor.ts';
import { forkSpawner } from '../../electron/node/forkChild.ts';
import { INFERENCE_ENTRY } from '../../electron/node/paths.ts';

let sup: Supervisor | undefined;
afterEach(async () => {
  await sup?.stop();
  sup = undefined;
});

function make(timeoutMs = 30_000): Supervisor {
  return new Supervisor({
    spawn: forkSpawner(INFERENCE_ENTRY, { env: { SLIME_TEST_HOOKS: '1' } }),
    name: 'inference',
    defaultTimeoutMs: timeoutMs,
  });
}

describe('inference process host', () => {
  it('round-trips ping', async () => {
    sup = make();
    const r = await sup.request<{ pong: unknown; pid: number }>('ping', 'hello');
    expect(r.ok && r.value.pong).toBe('hello');
    expect(r.ok && r.value.pid).toBe(sup.pid);
  });

  it('fails pending callers with process/crashed after SIGKILL and restarts on the next request', async () => {
    sup = make();
    const first = await sup.request<{ pid: number }>('ping', 1);
    expect(first.ok).toBe(true);
    const oldPid = first.ok ? first.value.pid : -1;
    const pending = sup.request('sleep', 10_000);
    process.kill(oldPid, 'SIGKILL');
    const failed = await pending;
    expect(failed.ok).toBe(false);
    expect(!failed.ok && failed.error.code).toBe('process/crashed');
    const next = await sup.request<{ pid: number }>('ping', 2);
    expect(next.ok).toBe(true);
    expect(next.ok && next.value.pid).not.toBe(oldPid);
    expect(sup.crashCount).toBe(1);
  });

  it('times out and cancels a slow request', async () => {
    sup = make();
    const r = await sup.request('sleep', 5_000, { timeoutMs: 200 });
    expect(!r.ok && r.error.code).toBe('process/timeout');
    const after = await sup.request('ping', 3);
    expect(after.ok).toBe(true);
  });

  it('cancels through an AbortSignal', async () => {
    sup = make();
    const controller = new AbortController();
    const p = sup.request('sleep', 5_000, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const r = await p;
    expect(!r.ok && r.error.code).toBe('process/cancelled');
  });

  it('answers an unknown method with ipc/unknown-method', async () => {
    sup = make();
    const r = await sup.request('no-such-method');
    expect(!r.ok && r.error.code).toBe('ipc/unknown-method');
  });
});
