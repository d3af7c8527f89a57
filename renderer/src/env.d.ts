// Renderer ambient types: the `window.api` object the preload (Electron) or /web-api.js (browser mode) installs.
import type { WindowApi } from '$shared/ipc/registry.ts';

declare global {
  interface Window {
    /** Installed by the preload; only renderer/src/lib/api/client.ts may touch it. */
    readonly api: WindowApi;
  }
}

export {};
