// Electron main: the `dialog` service over Electron's dialog.showOpenDialog / showSaveDialog, parented to the app window.
import type { BrowserWindow, Dialog, OpenDialogOptions, SaveDialogOptions } from 'electron';
import type { DialogHost } from '../node/services/dialogService.ts';

/** The part of Electron's `dialog` used here. */
export type DialogLike = Pick<Dialog, 'showOpenDialog' | 'showSaveDialog'>;

/** Native dialogs for the window `win()` returns (modal to it when it exists). */
export function electronDialogs(dialog: DialogLike, win: () => BrowserWindow | null): DialogHost {
  return {
    open: async ({ title, kind, filters }) => {
      const options: OpenDialogOptions = {
        ...(title ? { title } : {}),
        ...(filters ? { filters } : {}),
        properties: [kind === 'folder' ? 'openDirectory' : 'openFile'],
      };
      const w = win();
      const r = w ? await dialog.showOpenDialog(w, options) : await dialog.showOpenDialog(options);
      return { path: r.canceled ? null : (r.filePaths[0] ?? null) };
    },
    save: async ({ title, defaultPath, filters }) => {
      const options: SaveDialogOptions = {
        ...(title ? { title } : {}),
        ...(defaultPath ? { defaultPath } : {}),
        ...(filters ? { filters } : {}),
      };
      const w = win();
      const r = w ? await dialog.showSaveDialog(w, options) : await dialog.showSaveDialog(options);
      return { path: r.canceled ? null : (r.filePath ?? null) };
    },
  };
}
