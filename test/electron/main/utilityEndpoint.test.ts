// Unit: the utilityProcess adapter under the real Supervisor, with a fake UtilityProcess.
import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { utilityEndpoint, type UtilityProcessLike } from '../../../electron/main/utilityEndpoint.ts';
import { Supervisor } from '../../../electron/shared/process/supervisor.ts';
import type { ParentMessage } from '../../../electron/shared/process/protocol.ts';

/** Answers each request with its method name; `kill` emits exit like Electron does. */
class FakeUtility extends EventEmitter implements UtilityProcessLike {
  pid: number | undefined = undefined;
  posted: unknown[] = [];
  postMessage(message: unknown): void {
    this.posted.push(message);
    const m = message as ParentMessage;
    if (m.type === 'request')
      queueMicrotask(() => this.emit('message', { type: 'response', id: m.id, result: { ok: true, value: m.method } }));
  }
  kill(): boolean {
    queueMicrotask(() => this.emit('exit', 9));
    return true;
  }
}

describe('utilityEndpoint', () => {
  it('carries requests and responses and reports the pid once spawned', async () => {
    const fake = new FakeUtility();
    const endpoint = utilityEndpoint(fake);
    expect(endpoint.pid).toBeUndefined();
    fake.pid = 4242;
    expect(endpoint.pid).toBe(4242);
    const sup = new Supervisor({ name: 'inference', spawn: () => endpoint });
    expect(await sup.request('ping')).toEqual({ ok: true, value: 'ping' });
  });

  it('drops non-protocol messages and turns an exit into a crash for pending callers', async () => {
    const fakes: FakeUtility[] = [];
    const sup = new Supervisor({
      name: 'inference',
      spawn: () => {
        const f = new FakeUtility();
        f.postMessage = function (m: unknown) {
          this.posted.push(m);
          this.emit('message', { hello: 'not protocol' });
        };
        fakes.push(f);
        return utilityEndpoint(f);
      },
    });
    const pending = sup.request('hang');
    fakes[0]!.emit('exit', 1);
    expect(await pending).toMatchObject({ ok: false, error: { code: 'process/crashed' } });
    const endpoint = utilityEndpoint(fakes[0]!);
    fakes[0]!.emit('exit', 1);
    expect(() => endpoint.send({ type: 'cancel', id: 1 })).toThrow(/exited/);
  });
});
