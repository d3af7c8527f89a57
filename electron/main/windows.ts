// Electron main: creates the app window with the secure preferences of windowPolicy.ts, denies navigation
// away from the app, window.open, webviews and every permission request.
import { BrowserWindow, type Session } from 'electron';
import { isAppUrl, secureWebPreferences } from './windowPolicy.ts';

/** Where the window loads from and what it may show. */
export interface MainWindowOptions {
  preloadPath: string;
  /** slime://app/index.html in a built app, the dev server URL under `electron-vite dev`. */
  url: string;
  allowedOrigins: readonly string[];
}

/** Refuses every permission request and check (camera, notifications, geolocation, …). */
export function denyAllPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/** Creates and loads the main window. */
export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 800,
    minHeight: 560,
    show: false,
    title: 'SliME Studio',
    webPreferences: secureWebPreferences(options.preloadPath),
  });
  const contents = win.webContents;
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event) => {
    if (!isAppUrl(event.url, options.allowedOrigins)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isAppUrl(event.url, options.allowedOrigins)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  win.once('ready-to-show', () => win.show());
  void win.loadURL(options.url);
  return win;
}
