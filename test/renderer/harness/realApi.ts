// Renderer unit tests (test process): installs `globalThis.api` the way browser mode builds it (shared buildApi, values
// crossing as wire JSON) over the real services (database worker, inference process forked), so the rune classes under
// test talk to real storage and a real model. Import the state modules *after* `installRealApi` resolves.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createServices, type Services } from '../../../electron/node/services/createServices.ts';
import { forkSpawner } from '../../../electron/node/forkChild.ts';
import { INFERENCE_ENTRY, REPO_ROOT } from '../../../electron/node/paths.ts';
import { readAppVersion } from '../../../electron/node/appVersion.ts';
import { fromWireJson, toWireJson } from '../../../electron/node/web/wireJson.ts';
import { createRouter } from '../../../electron/shared/ipc/router.ts';
import { apiDescriptors } from '../../../electron/shared/ipc/registry.ts';
import { buildApi, type ApiTransport } from '../../../electron/shared/ipc/buildApi.ts';
import type { DialogHost } from '../../../electron/node/services/dialogService.ts';

/** The shipped SliME-Nano model. */
export const NANO_DIR = path.join(REPO_ROOT, 'models', 'nano');

/** Real services behind `globalThis.api`. */
export interface RealApi {
  services: Services;
  dataDir: string;
  /** Stops the services, removes `globalThis.api` and the data folder. */
  close(): Promise<void>;
}

/**
 * Starts the services in a fresh data folder and installs `globalThis.api` over them (`dialogs`: the app's native ones;
 * `around`: called with each call's channel and the real call, so a test can hold a reply back to order two calls).
 */
export async function installRealApi(
  prefix: string,
  extra: { dialogs?: DialogHost; around?: (channel: string, call: () => Promise<unknown>) => Promise<unknown> } = {},
): Promise<RealApi> {
  const { around, ...serviceExtra } = extra;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `slime-state-${prefix}-`));
  const services = await createServices({
    spawnInference: forkSpawner(INFERENCE_ENTRY),
    dataDir,
    defaultModelDir: NANO_DIR,
    version: readAppVersion(),
    electronVersion: null,
    ...serviceExtra,
  });
  const router = createRouter(services.bindings);
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const unsubscribe = services.subscribe((channel, payload) => {
    const copy = fromWireJson(toWireJson(payload));
    for (const listener of listeners.get(channel) ?? []) listener(copy);
  });
  const transport: ApiTransport = {
    async invoke(channel, args) {
      const call = async (): Promise<unknown> => fromWireJson(toWireJson(await router.dispatch(channel, fromWireJson(toWireJson(args)))));
      return (await (around ? around(channel, call) : call())) as Awaited<ReturnType<ApiTransport['invoke']>>;
    },
    on(channel, listener) {
      let set = listeners.get(channel);
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(listener);
      return () => void set.delete(listener);
    },
  };
  Object.defineProperty(globalThis, 'api', { value: buildApi(apiDescriptors(), transport), configurable: true });
  return {
    services,
    dataDir,
    async close() {
      unsubscribe();
      delete (globalThis as { api?: unknown }).api;
      await services.dispose();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
