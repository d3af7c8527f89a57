// Preload: the ApiTransport over ipcRenderer (invoke for calls, on/removeListener for events). ipcRenderer
// itself never reaches the page: only the functions built on it do.
import type { IpcRenderer, IpcRendererEvent } from 'electron';
import type { ApiTransport } from '../shared/ipc/buildApi.ts';
import type { Result } from '../shared/errors.ts';

/** Builds the transport on the given ipcRenderer (injected so it is unit-tested with a fake). */
export function ipcTransport(ipc: Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>): ApiTransport {
  return {
    invoke: (channel, args) => ipc.invoke(channel, args) as Promise<Result<unknown>>,
    on(channel, listener) {
      const handler = (_event: IpcRendererEvent, payload: unknown): void => listener(payload);
      ipc.on(channel, handler);
      return () => {
        ipc.removeListener(channel, handler);
      };
    },
  };
}
