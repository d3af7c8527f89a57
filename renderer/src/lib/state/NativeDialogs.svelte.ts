// Renderer: native file and folder dialogs through main's `dialog` service. In the app they are Electron's; in
// browser mode there are none (`dialog.available` is false), so path fields offer no "Choose…" and stay typed.
import type { OpenDialog, SaveDialog } from '$shared/ipc/dialog.ts';
import { api, ApiError } from '../api/client.ts';

/** Whether native dialogs exist here, and asking them for a path. */
export class NativeDialogs {
  /** Null until main answered; the views show "Choose…" only when true. */
  available: boolean | null = $state(null);
  private asked: Promise<boolean> | null = null;

  /** Asks main once whether there are native dialogs (false when it could not say). */
  ready(): Promise<boolean> {
    this.asked ??= api.dialog.available().then(
      (yes) => (this.available = yes),
      () => (this.available = false),
    );
    return this.asked;
  }

  /** An existing file or folder the user chose, or null (cancelled, or no dialogs here). */
  open(options: OpenDialog): Promise<string | null> {
    return this.choose(() => api.dialog.open(options));
  }

  /** Where the user chose to save, or null (cancelled, or no dialogs here). */
  save(options: SaveDialog): Promise<string | null> {
    return this.choose(() => api.dialog.save(options));
  }

  private async choose(ask: () => Promise<{ path: string | null }>): Promise<string | null> {
    if (!(await this.ready())) return null;
    try {
      return (await ask()).path;
    } catch (thrown) {
      if (!(thrown instanceof ApiError) || thrown.code !== 'dialog/unavailable') throw thrown;
      this.available = false;
      return null;
    }
  }
}

/** The page's one instance. */
export const nativeDialogs = new NativeDialogs();
