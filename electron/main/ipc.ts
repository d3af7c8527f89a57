// Electron main: registers one ipcMain.handle per contract channel. Each call is checked against the app's
// own window and URL (`ipc/bad-sender`), then dispatched through the router (zod → Result). Never throws.
import type { IpcMainInvokeEvent } from 'electron';
import type { Router } from '../shared/ipc/router.ts';
import { err, toAppError, type Result } from '../shared/errors.ts';
import type { SenderInfo } from './windowPolicy.ts';

/** The part of ipcMain the registration uses. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** Reduces an invoke event to what the sender check needs. */
export function senderInfo(event: Pick<IpcMainInvokeEvent, 'senderFrame' | 'sender'>): SenderInfo {
  const frame = event.senderFrame;
  return { frameUrl: frame?.url, isMainFrame: frame !== null && frame.parent === null, webContentsId: event.sender.id };
}

/** Handles every router channel on `ipcMain`; returns a function that removes the handlers. */
export function registerIpc(
  ipcMain: IpcMainLike,
  router: Router,
  isTrusted: (sender: SenderInfo) => boolean,
  log: (message: string) => void = console.warn,
): () => void {
  const channels = router.channels();
  for (const channel of channels) {
    ipcMain.handle(channel, async (event, args): Promise<Result<unknown>> => {
      try {
        const sender = senderInfo(event);
        if (!isTrusted(sender)) {
          log(`[ipc] refused ${channel} from ${sender.frameUrl ?? 'a destroyed frame'}`);
          return err('ipc/bad-sender', 'This call is only accepted from the app window');
        }
        return await router.dispatch(channel, args);
      } catch (thrown) {
        return { ok: false, error: toAppError(thrown) };
      }
    });
  }
  return () => {
    for (const channel of channels) ipcMain.removeHandler(channel);
  };
}
