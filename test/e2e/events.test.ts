// e2e: service events reach `onXxx` listeners in the page over browser mode's Server-Sent Events, and
// unsubscribe works (uses dataset.createConversation, which publishes dataset `changed`, against a real database).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startApp, type RunningApp } from './harness/startApp.ts';
import { DEFAULT_MODEL_DIR } from '../../electron/node/paths.ts';
import type { WindowApi } from '../../electron/shared/ipc/registry.ts';

let app: RunningApp;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'slime-e2e-events-'));
  app = await startApp({ dataDir, modelDir: DEFAULT_MODEL_DIR });
});

afterAll(async () => {
  await app?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('service events over SSE', () => {
  it('delivers events to subscribed listeners only', async () => {
    const seen = await app.page.evaluate(async () => {
      const api = (window as unknown as { api: WindowApi }).api;
      const events: unknown[] = [];
      const off = api.dataset.onChanged((change) => events.push(change));
      const created = await api.dataset.createConversation({ title: 'events' });
      const deadline = Date.now() + 5000;
      while (events.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      off();
      await api.dataset.createConversation({ title: 'after unsubscribe' });
      await new Promise((r) => setTimeout(r, 200));
      return { created: created.ok ? created.value.id : null, events };
    });
    expect(seen.created).not.toBeNull();
    expect(seen.events).toEqual([{ entity: 'conversations', ids: [seen.created] }]);
    expect(app.pageErrors).toEqual([]);
  });
});
