// Unit: IPC registration over a fake ipcMain: one handler per channel, sender check, zod, never throws.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { IpcMainInvokeEvent } from 'electron';
import { registerIpc, type IpcMainLike } from '../../../electron/main/ipc.ts';
import { isTrustedSender } from '../../../electron/main/windowPolicy.ts';
import { createRouter, bind } from '../../../electron/shared/ipc/router.ts';
import { defineContract, method } from '../../../electron/shared/ipc/contract.ts';

const greet = defineContract('greet', {
  hello: method<string, z.ZodTuple<[z.ZodString], null>>(z.tuple([z.string().min(1)])),
});

type Listener = (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>;

function fakeIpcMain(): IpcMainLike & { handlers: Map<string, Listener> } {
  const handlers = new Map<string, Listener>();
  return { handlers, handle: (c, l) => void handlers.set(c, l), removeHandler: (c) => void handlers.delete(c) };
}

function fakeEvent(url: string | null, id = 1, parent: unknown = null): IpcMainInvokeEvent {
  return { senderFrame: url === null ? null : { url, parent }, sender: { id } } as unknown as IpcMainInvokeEvent;
}

function setup(): { ipc: ReturnType<typeof fakeIpcMain>; refused: string[]; dispose: () => void } {
  const ipc = fakeIpcMain();
  const router = createRouter([bind(greet, { hello: (name) => `hello ${name}` })]);
  const refused: string[] = [];
  const dispose = registerIpc(
    ipc,
    router,
    (s) => isTrustedSender(s, new Set([1]), ['slime://app']),
    (m) => refused.push(m),
  );
  return { ipc, refused, dispose };
}

describe('registerIpc', () => {
  it('registers the channel table derived from the contracts', () => {
    const { ipc, dispose } = setup();
    expect([...ipc.handlers.keys()]).toEqual(['greet:hello']);
    dispose();
    expect(ipc.handlers.size).toBe(0);
  });

  it('dispatches trusted calls and validates arguments', async () => {
    const { ipc } = setup();
    const call = ipc.handlers.get('greet:hello')!;
    expect(await call(fakeEvent('slime://app/index.html'), ['ann'])).toEqual({ ok: true, value: 'hello ann' });
    expect(await call(fakeEvent('slime://app/index.html'), [''])).toMatchObject({ ok: false, error: { code: 'ipc/bad-args' } });
    expect(await call(fakeEvent('slime://app/index.html'), 42)).toMatchObject({ ok: false, error: { code: 'ipc/bad-args' } });
  });

  it('refuses other frames, windows and origins with ipc/bad-sender', async () => {
    const { ipc, refused } = setup();
    const call = ipc.handlers.get('greet:hello')!;
    for (const event of [
      fakeEvent('https://evil.example/'),
      fakeEvent('slime://app/index.html', 2),
      fakeEvent('slime://app/index.html', 1, {}),
      fakeEvent(null),
    ]) {
      expect(await call(event, ['x'])).toMatchObject({ ok: false, error: { code: 'ipc/bad-sender' } });
    }
    expect(refused).toHaveLength(4);
  });

  it('never throws across, even when the sender check itself throws', async () => {
    const ipc = fakeIpcMain();
    registerIpc(ipc, createRouter([bind(greet, { hello: () => 'x' })]), () => {
      throw new Error('boom');
    });
    expect(await ipc.handlers.get('greet:hello')!(fakeEvent('slime://app/'), ['a'])).toEqual({
      ok: false,
      error: { code: 'internal', message: 'boom' },
    });
  });
});
