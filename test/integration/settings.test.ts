// Integration: the settings service keeps model folders in the data folder — a folder that fails validation (by the
// real inference process) is refused with its error and not stored; a new set of services (another browser-mode
// port) and the CLI read the same settings.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Services } from '../../electron/node/services/createServices.ts';
import type { Router } from '../../electron/shared/ipc/router.ts';
import { startServices } from './fixtures/services.ts';
import { runCli } from '../../electron/cli/main.ts';
import { tempDir } from '../database/fixtures.ts';

const TINY = path.resolve(import.meta.dirname, '../fixtures/slime-tiny');
let services: Services | undefined;
afterEach(async () => {
  await services?.dispose();
  services = undefined;
});

async function start(dataDir: string): Promise<Router> {
  const started = await startServices(dataDir);
  services = started.services;
  return started.router;
}

describe('settings service', () => {
  it('refuses an invalid model folder, keeps a valid one, and shares the file with new services and the CLI', async () => {
    const dataDir = tempDir('slime-settings-');
    let router = await start(dataDir);
    const bad = await router.dispatch('settings:addModelFolder', [path.join(dataDir, 'no-model-here')]);
    expect(bad).toMatchObject({ ok: false, error: { code: expect.stringMatching(/^inference\/model-/) } });
    expect(await router.dispatch('settings:get', [])).toMatchObject({ ok: true, value: { modelFolders: [] } });

    const relative = path.relative(process.cwd(), TINY);
    expect(await router.dispatch('settings:addModelFolder', [relative])).toMatchObject({ ok: true, value: { modelFolders: [TINY] } });
    // The model list is built by main from the stored folders (the page sends none): the shipped model, then TINY.
    const models = await router.dispatch('settings:models', []);
    expect(models).toMatchObject({ ok: true, value: [{ isDefault: true }, { dir: TINY, valid: true, isDefault: false }] });
    await router.dispatch('settings:update', [{ selectedModel: TINY, shortcuts: { send: 'Mod+Enter' } }]);
    await services!.dispose();
    services = undefined;

    router = await start(dataDir);
    expect(await router.dispatch('settings:get', [])).toMatchObject({
      ok: true,
      value: { modelFolders: [TINY], selectedModel: TINY, shortcuts: { send: 'Mod+Enter' } },
    });
    const out: string[] = [];
    expect(await runCli(['settings', '--data-dir', dataDir, '--json'], { out: (l) => out.push(l), err: () => undefined })).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ modelFolders: [TINY], selectedModel: TINY });
  });
});
