// Unit: the model list over the real settings service — a folder added while an older listing is still on its way
// stays listed (the older listing, resolving last, is dropped), and a refused folder is reported and not stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { REPO_ROOT } from '../../../../../electron/node/paths.ts';
import { installRealApi, type RealApi } from '../../../harness/realApi.ts';
import type { ModelsState as ModelsStateType } from '../../../../../renderer/src/lib/state/ModelsState.svelte.ts';

const TINY_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'slime-tiny');

let real: RealApi;
let ModelsState: typeof ModelsStateType;
/** While set, the next `settings:models` reply waits for it (the real call has already been made). */
let hold: Promise<void> | null = null;
let listings = 0;

beforeAll(async () => {
  real = await installRealApi('models', {
    async around(channel, call) {
      if (channel !== 'settings:models') return call();
      listings++;
      const gate = hold;
      hold = null;
      const reply = await call();
      if (gate) await gate;
      return reply;
    },
  });
  ({ ModelsState } = await import('../../../../../renderer/src/lib/state/ModelsState.svelte.ts'));
});

afterAll(async () => {
  await real?.close();
});

describe('ModelsState', () => {
  it('keeps a folder added while an older listing was still on its way', async () => {
    const models = new ModelsState();
    // Hold the first listing's reply (made before the folder is stored) until the add has listed again: on a busy
    // machine the listing Settings starts on mount can resolve after the one the add starts.
    let release!: () => void;
    hold = new Promise<void>((resolve) => (release = resolve));
    const before = listings;
    const first = models.refresh();
    await expect.poll(() => listings).toBe(before + 1);
    expect(await models.addFolder(TINY_DIR)).toBe(true);
    expect(models.models.map((m) => m.name)).toContain('SliME-tiny-fixture');
    release();
    await first;
    expect(models.models.map((m) => m.name)).toContain('SliME-tiny-fixture');
    expect(models.listing).toBe(false);
  });

  it('reports a folder that is not a model and does not store it', async () => {
    const models = new ModelsState();
    expect(await models.addFolder(path.join(TINY_DIR, 'images'))).toBe(false);
    expect(models.folderError?.message).toBeTruthy();
    await models.refresh();
    expect(models.models.map((m) => m.dir)).not.toContain(path.join(TINY_DIR, 'images'));
  });
});
