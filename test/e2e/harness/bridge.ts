// e2e harness (test process): the test bridge. Supplies `window.api` in the page with the same shape the
// preload builds (shared buildApi), forwarding calls through page.exposeBinding to the real router and
// pushing service events into the page.
import type { Page } from 'playwright-core';
import type { Router } from '../../../electron/shared/ipc/router.ts';
import { buildApi, type ServiceDescriptor } from '../../../electron/shared/ipc/buildApi.ts';
import { err } from '../../../electron/shared/errors.ts';

const INVOKE_BINDING = '__slimeBridgeInvoke';
const EMIT_FUNCTION = '__slimeBridgeEmit';

/** The init script that installs `window.api` before any page script runs. */
export function bridgeInitScript(descriptors: ServiceDescriptor[]): string {
  return `(() => {
  const descriptors = ${JSON.stringify(descriptors)};
  const listeners = new Map();
  const invoke = (channel, args) => window[${JSON.stringify(INVOKE_BINDING)}](channel, args);
  const transport = {
    invoke,
    on(channel, listener) {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel).add(listener);
      return () => listeners.get(channel).delete(listener);
    },
  };
  Object.defineProperty(window, ${JSON.stringify(EMIT_FUNCTION)}, {
    value(channel, payload) {
      for (const listener of listeners.get(channel) ?? []) {
        try { listener(payload); } catch (e) { console.error(e); }
      }
    },
  });
  const buildApi = ${buildApi.toString()};
  Object.defineProperty(window, 'api', { value: buildApi(descriptors, transport), enumerable: true });
})();`;
}

/** Wires `page` to `router`: calls from the app's own main frame only (like main's sender check). */
export async function installBridge(page: Page, router: Router, descriptors: ServiceDescriptor[], appOrigin: string): Promise<void> {
  await page.exposeBinding(INVOKE_BINDING, async (source, channel: unknown, args: unknown) => {
    const trusted = source.frame === page.mainFrame() && new URL(source.frame.url()).origin === appOrigin;
    if (!trusted) return err('ipc/bad-sender', 'Calls are accepted only from the app window');
    if (typeof channel !== 'string') return err('ipc/bad-args', 'Channel must be a string');
    return router.dispatch(channel, args);
  });
  await page.addInitScript({ content: bridgeInitScript(descriptors) });
}

/** Pushes one service event into the page (to its `onXxx` listeners). */
export async function emitToPage(page: Page, channel: string, payload: unknown): Promise<void> {
  if (page.isClosed()) return;
  await page.evaluate(
    ([name, c, p]) => {
      (window as unknown as Record<string, (c: string, p: unknown) => void>)[name]?.(c, p);
    },
    [EMIT_FUNCTION, channel, payload] as const,
  );
}
