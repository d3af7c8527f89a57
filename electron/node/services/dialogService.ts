// Implements the `dialog` contract (Node): over the host's native dialogs when there are some (Electron main),
// else every call fails with `dialog/unavailable` so the page keeps its validated path field.
import type { ServiceImpl } from '../../shared/ipc/contract.ts';
import type { DialogContract } from '../../shared/ipc/dialog.ts';
import { AppFailure } from '../../shared/errors.ts';

/** Native dialogs, supplied by the host (electron/main/dialogs.ts). */
export type DialogHost = Omit<ServiceImpl<DialogContract>, 'available'>;

/** Builds the `dialog` service over `host`, or the browser-mode one without it. */
export function createDialogService(host: DialogHost | undefined): ServiceImpl<DialogContract> {
  if (host) return { ...host, available: () => true };
  const unavailable = (): never => {
    throw new AppFailure('dialog/unavailable', 'File dialogs are not available here (browser mode or CLI): type the path instead.');
  };
  return { available: () => false, open: unavailable, save: unavailable };
}
