// Unit: the preload transport over a fake ipcRenderer, and the api built on it (no ipcRenderer exposed).
import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import type { IpcRenderer } from 'electron';
import { ipcTransport } from '../../../electron/preload/ipcTransport.ts';
import { buildApi } from '../../../electron/shared/ipc/buildApi.ts';
import { apiDescriptors } from '../../../electron/shared/ipc/registry.ts';

class FakeIpcRenderer extends EventEmitter {
  invoked: [string, unknown][] = [];
  async invoke(channel: string, args: unknown): Promise<unknown> {
    this.invoked.push([channel, args]);
    return { ok: true, value: channel };
  }
}

describe('ipcTransport', () => {
  it('invokes the channel with the argument list and strips the IPC event from listeners', async () => {
    const fake = new FakeIpcRenderer();
    const transport = ipcTransport(fake as unknown as IpcRenderer);
    expect(await transport.invoke('app:info', [])).toEqual({ ok: true, value: 'app:info' });
    expect(fake.invoked).toEqual([['app:info', []]]);
    const seen: unknown[] = [];
    const off = transport.on('x:event:y', (p) => seen.push(p));
    fake.emit('x:event:y', { sender: 'ipc-event' }, 42);
    off();
    fake.emit('x:event:y', {}, 43);
    expect(seen).toEqual([42]);
    expect(fake.listenerCount('x:event:y')).toBe(0);
  });

  it('builds window.api with only service functions', async () => {
    const api = buildApi(apiDescriptors(), ipcTransport(new FakeIpcRenderer() as unknown as IpcRenderer));
    const info = api.app?.info as unknown as () => Promise<unknown>;
    expect(await info()).toEqual({ ok: true, value: 'app:info' });
    for (const service of Object.values(api)) {
      for (const member of Object.values(service)) expect(typeof member).toBe('function');
    }
    expect(JSON.stringify(Object.keys(api))).not.toContain('ipc');
  });
});
