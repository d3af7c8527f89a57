// Unit: the page's native dialogs over the real services — in browser mode there are none (no "Choose…", nothing is
// asked, the typed path field stays); in the app (a recording stand-in for Electron's dialog host: no Electron binary
// here) a chosen path comes back and a cancel is null.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { installRealApi, type RealApi } from '../../../harness/realApi.ts';
import type { DialogHost } from '../../../../../electron/node/services/dialogService.ts';
import type { NativeDialogs as DialogsType } from '../../../../../renderer/src/lib/state/NativeDialogs.svelte.ts';

let real: RealApi | undefined;

afterEach(async () => {
  await real?.close();
  real = undefined;
});

/** A fresh page: the api client and the state module imported over what `installRealApi` installed. */
async function page(): Promise<DialogsType> {
  vi.resetModules();
  const { NativeDialogs } = await import('../../../../../renderer/src/lib/state/NativeDialogs.svelte.ts');
  return new NativeDialogs();
}

describe('NativeDialogs', () => {
  it('offers none in browser mode, and asking for a path gives null', async () => {
    real = await installRealApi('dialogs-browser');
    const dialogs = await page();
    expect(dialogs.available).toBeNull();
    expect(await dialogs.ready()).toBe(false);
    expect(dialogs.available).toBe(false);
    expect(await dialogs.open({ kind: 'folder', title: 'Model folder' })).toBeNull();
    expect(await dialogs.save({ defaultPath: 'export.json' })).toBeNull();
  });

  it("asks the app's dialogs for a folder or a save path; a cancel is null", async () => {
    const asked: unknown[] = [];
    const host: DialogHost = {
      open: async (o) => (asked.push(o), { path: o.kind === 'folder' ? '/home/me/models/nano' : null }),
      save: async (o) => (asked.push(o), { path: null }),
    };
    real = await installRealApi('dialogs-app', { dialogs: host });
    const dialogs = await page();
    expect(await dialogs.ready()).toBe(true);
    expect(await dialogs.open({ kind: 'folder', title: 'Model folder' })).toBe('/home/me/models/nano');
    expect(await dialogs.open({ kind: 'file', filters: [{ name: 'JSON', extensions: ['json'] }] })).toBeNull();
    expect(await dialogs.save({ defaultPath: 'export.json' })).toBeNull();
    // The contract's schema filled in nothing and dropped nothing: the host got what the page asked.
    expect(asked).toEqual([
      { kind: 'folder', title: 'Model folder' },
      { kind: 'file', filters: [{ name: 'JSON', extensions: ['json'] }] },
      { defaultPath: 'export.json' },
    ]);
  });
});
