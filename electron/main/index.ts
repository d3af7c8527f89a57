// Electron main composition root: single instance, the `slime:` protocol, services over a utilityProcess
// inference child, IPC with sender checks, and one secure window. Routes and supervises; computes nothing.
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, protocol, session } from 'electron';
import { createServices, type Services } from '../node/services/createServices.ts';
import { createRouter } from '../shared/ipc/router.ts';
import { APP_ENTRY_URL, APP_ORIGIN, handleAppProtocol, originOf, registerAppScheme } from './appProtocol.ts';
import { createMainWindow, denyAllPermissions } from './windows.ts';
import { isTrustedSender } from './windowPolicy.ts';
import { registerIpc } from './ipc.ts';
import { utilitySpawner } from './utilityChild.ts';
import { electronDialogs } from './dialogs.ts';
import { IMAGE_PATH_PREFIX } from '../shared/ipc/images.ts';

const here = import.meta.dirname;
/** The dev server URL electron-vite sets under `electron-vite dev` (never honoured in a packaged app). */
const devUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;

function defaultModelDir(): string {
  return app.isPackaged ? path.join(process.resourcesPath, 'models', 'nano') : path.join(app.getAppPath(), 'models', 'nano');
}

/** Where the converter's Python package lives (electron-builder.yml ships it as resources/converter/models). */
function converterRoot(): string {
  return app.isPackaged ? path.join(process.resourcesPath, 'converter') : app.getAppPath();
}

/** In dev the page comes from the dev server; send its /image/ requests to the `slime:` handler. */
function redirectDevImages(origin: string): void {
  session.defaultSession.webRequest.onBeforeRequest({ urls: [`${origin}${IMAGE_PATH_PREFIX}*`] }, (details, callback) => {
    callback({ redirectURL: `${APP_ORIGIN}${new URL(details.url).pathname}` });
  });
}

async function start(): Promise<void> {
  const services: Services = await createServices({
    spawnInference: utilitySpawner(path.join(here, 'inference.js'), 'SliME inference'),
    databaseWorkerEntry: path.join(here, 'databaseWorker.js'),
    dataDir: app.getPath('userData'),
    defaultModelDir: defaultModelDir(),
    converterRoot: converterRoot(),
    version: app.getVersion(),
    electronVersion: process.versions.electron ?? null,
    dialogs: electronDialogs(dialog, () => BrowserWindow.getAllWindows()[0] ?? null),
  });
  const router = createRouter(services.bindings, { onSlow: (channel, ms) => console.warn(`[ipc] slow ${channel}: ${ms.toFixed(0)} ms`) });
  handleAppProtocol(protocol, path.join(here, '..', 'renderer'), services.images, services.storedImage);
  denyAllPermissions(session.defaultSession);
  const devOrigin = devUrl ? originOf(devUrl) : null;
  if (devOrigin) redirectDevImages(devOrigin);
  const allowedOrigins = devOrigin ? [APP_ORIGIN, devOrigin] : [APP_ORIGIN];
  const win = createMainWindow({
    preloadPath: path.join(here, '..', 'preload', 'index.cjs'),
    url: devUrl ?? APP_ENTRY_URL,
    allowedOrigins,
  });
  const windowIds = new Set([win.webContents.id]);
  registerIpc(ipcMain, router, (sender) => isTrustedSender(sender, windowIds, allowedOrigins));
  services.subscribe((channel, payload) => {
    if (!win.isDestroyed()) win.webContents.send(channel, payload);
  });
  app.on('window-all-closed', () => app.quit());
  app.once('will-quit', () => void services.dispose());
}

registerAppScheme(protocol);
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const win = BrowserWindow.getAllWindows()[0];
    if (win?.isMinimized()) win.restore();
    win?.focus();
  });
  app.whenReady().then(start, (thrown: unknown) => {
    console.error('[main] failed to start', thrown);
    app.exit(1);
  });
}
