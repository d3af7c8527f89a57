// Unit: the supervisor over a fake in-memory child (ids, events, timeout, cancel, crash and lazy restart).
import { describe, expect, it } from 'vitest';
import { Supervisor } from '../../../../electron/shared/process/supervisor.ts';
import type { ChildEndpoint, ChildMessage, ExitInfo, ParentMessage } from '../../../../electron/shared/process/protocol.ts';

/** An in-memory child that answers `echo` at once, `stream` with two events, and ignores `hang`. */
class FakeChild implements ChildEndpoint {
  static nextPid = 100;
  readonly pid = FakeChild.nextPid++;
  readonly received: ParentMessage[] = [];
  killed = false;
  private messageListener: (m: ChildMessage) => void = () => {};
  private exitListener: (i: ExitInfo) => void = () => {};

  send(message: ParentMessage): void {
    if (this.killed) throw new Error('dead');
    this.received.push(message);
    if (message.type !== 'request') return;
    const { id, method, args } = message;
    queueMicrotask(() => {
      if (method === 'echo') this.messageListener({ type: 'response', id, result: { ok: true, value: { args, pid: this.pid } } });
      if (method === 'stream') {
        this.messageListener({ type: 'event', id, payload: 1 });
        this.messageListener({ type: 'event', id, payload: 2 });
        this.messageListener({ type: 'response', id, result: { ok: true, value: 'done' } });
      }
    });
  }
  onMessage(listener: (m: ChildMessage) => void): void {
    this.messageListener = listener;
  }
  onExit(listener: (i: ExitInfo) => void): void {
    this.exitListener = listener;
  }
  kill(): void {
    this.killed = true;
    queueMicrotask(() => this.exitListener({ code: null, signal: 'SIGKILL' }));
  }
  die(): void {
    this.exitListener({ code: 1, signal: null });
  }
}

function setup(restart = true): { sup: Supervisor; children: FakeChild[]; crashes: ExitInfo[] } {
  const children: FakeChild[] = [];
  const crashes: ExitInfo[] = [];
  const sup = new Supervisor(
    {
      name: 'fake',
      restart,
      spawn: () => {
        const c = new FakeChild();
        children.push(c);
        return c;
      },
    },
    { onCrash: (i) => crashes.push(i) },
  );
  return { sup, children, crashes };
}

describe('Supervisor', () => {
  it('spawns lazily, numbers requests and resolves them', async () => {
    const { sup, children } = setup();
    expect(children).toHaveLength(0);
    const [a, b] = await Promise.all([sup.request('echo', 'a'), sup.request('echo', 'b')]);
    expect(children).toHaveLength(1);
    expect(a).toEqual({ ok: true, value: { args: 'a', pid: children[0]!.pid } });
    expect(b.ok).toBe(true);
    expect(children[0]!.received.map((m) => m.id)).toEqual([1, 2]);
    expect(sup.pendingCount).toBe(0);
  });

  it('delivers per-request events before the response', async () => {
    const { sup } = setup();
    const events: unknown[] = [];
    const r = await sup.request('stream', [], { onEvent: (p) => events.push(p) });
    expect(r).toEqual({ ok: true, value: 'done' });
    expect(events).toEqual([1, 2]);
  });

  it('times out with process/timeout and sends a cancel to the child', async () => {
    const { sup, children } = setup();
    const r = await sup.request('hang', [], { timeoutMs: 20 });
    expect(!r.ok && r.error.code).toBe('process/timeout');
    expect(children[0]!.received.at(-1)).toEqual({ type: 'cancel', id: 1 });
  });

  it('cancels through an AbortSignal, also when already aborted', async () => {
    const { sup, children } = setup();
    const controller = new AbortController();
    const p = sup.request('hang', [], { signal: controller.signal });
    controller.abort();
    expect(await p).toMatchObject({ ok: false, error: { code: 'process/cancelled' } });
    expect(children[0]!.received.some((m) => m.type === 'cancel')).toBe(true);
    expect(await sup.request('hang', [], { signal: AbortSignal.abort() })).toMatchObject({
      ok: false,
      error: { code: 'process/cancelled' },
    });
  });

  it('fails every pending caller on a crash and restarts on the next request', async () => {
    const { sup, children, crashes } = setup();
    const pending = [sup.request('hang'), sup.request('hang')];
    await Promise.resolve();
    children[0]!.die();
    for (const r of await Promise.all(pending)) expect(!r.ok && r.error.code).toBe('process/crashed');
    expect(crashes).toEqual([{ code: 1, signal: null }]);
    const next = await sup.request<{ pid: number }>('echo', 1);
    expect(next.ok && next.value.pid).toBe(children[1]!.pid);
    expect(sup.crashCount).toBe(1);
  });

  it('does not restart when restart is false', async () => {
    const { sup, children } = setup(false);
    await sup.request('echo');
    children[0]!.die();
    expect(await sup.request('echo')).toMatchObject({ ok: false, error: { code: 'process/crashed' } });
    expect(children).toHaveLength(1);
  });

  it('stop fails pending requests, kills the child and refuses new work', async () => {
    const { sup, children, crashes } = setup();
    const pending = sup.request('hang');
    await Promise.resolve();
    await sup.stop();
    expect((await pending).ok).toBe(false);
    expect(children[0]!.killed).toBe(true);
    expect((await sup.request('echo')).ok).toBe(false);
    await new Promise((r) => setTimeout(r, 0));
    expect(crashes).toEqual([]);
  });
});
