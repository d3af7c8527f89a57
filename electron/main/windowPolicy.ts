// Electron main: the security policy of app windows as pure functions (web preferences, which URLs may be
// shown, which IPC senders are trusted). Kept free of runtime Electron imports so it is unit-tested.
import type { WebPreferences } from 'electron';
import { originOf } from './appProtocol.ts';

/** Web preferences of every app window: isolated, sandboxed, no Node, web security on. */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  };
}

/** True when `url` belongs to one of the app's own origins (the `slime:` origin, or the dev server). */
export function isAppUrl(url: string, allowedOrigins: readonly string[]): boolean {
  const origin = originOf(url);
  return origin !== null && allowedOrigins.includes(origin);
}

/** What the IPC layer knows about the frame that sent a call. */
export interface SenderInfo {
  /** URL of the sending frame; undefined when the frame is gone. */
  frameUrl: string | undefined;
  /** Whether the sending frame is the top frame of its page. */
  isMainFrame: boolean;
  /** id of the sending WebContents. */
  webContentsId: number;
}

/** A sender is trusted when it is the top frame of one of the app's windows, showing an app URL. */
export function isTrustedSender(sender: SenderInfo, windowIds: ReadonlySet<number>, allowedOrigins: readonly string[]): boolean {
  return (
    sender.isMainFrame && windowIds.has(sender.webContentsId) && sender.frameUrl !== undefined && isAppUrl(sender.frameUrl, allowedOrigins)
  );
}
