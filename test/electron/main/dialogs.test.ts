// Unit: native dialogs through the `dialog` contract — Electron's dialog (a recording stand-in: no Electron binary
// here) and browser mode, where every call fails with `dialog/unavailable` so the page keeps its path field.
import { describe, expect, it } from 'vitest';
import type { Dialog } from 'electron';
import { electronDialogs } from '../../../electron/main/dialogs.ts';
import { createDialogService } from '../../../electron/node/services/dialogService.ts';
import { bind, createRouter } from '../../../electron/shared/ipc/router.ts';
import { dialogContract } from '../../../electron/shared/ipc/dialog.ts';

describe('dialog service', () => {
  it('asks Electron for a folder or a save path and reports a cancel as null', async () => {
    const calls: unknown[] = [];
    const fake = {
      showOpenDialog: async (options: unknown) => (calls.push(options), { canceled: false, filePaths: ['/data/models/nano'] }),
      showSaveDialog: async (options: unknown) => (calls.push(options), { canceled: true, filePath: '' }),
    } as unknown as Pick<Dialog, 'showOpenDialog' | 'showSaveDialog'>;
    const router = createRouter([bind(dialogContract, createDialogService(electronDialogs(fake, () => null)))]);
    expect(await router.dispatch('dialog:open', [{ kind: 'folder', title: 'Model folder' }])).toEqual({
      ok: true,
      value: { path: '/data/models/nano' },
    });
    expect(await router.dispatch('dialog:save', [{ defaultPath: 'export.json' }])).toEqual({ ok: true, value: { path: null } });
    expect(calls).toEqual([{ title: 'Model folder', properties: ['openDirectory'] }, { defaultPath: 'export.json' }]);
    expect(await router.dispatch('dialog:available', [])).toEqual({ ok: true, value: true });
  });

  it('is unavailable in browser mode with a message that says to type the path', async () => {
    const router = createRouter([bind(dialogContract, createDialogService(undefined))]);
    const r = await router.dispatch('dialog:open', [{}]);
    expect(r).toMatchObject({ ok: false, error: { code: 'dialog/unavailable' } });
    expect(!r.ok && r.error.message).toContain('type the path');
    expect(await router.dispatch('dialog:available', [])).toEqual({ ok: true, value: false });
  });
});
