// Contract of the `dialog` service: native open/save dialogs for files and folders. In the app main shows
// Electron's dialogs; in browser mode and the CLI there are none and the page keeps its validated path field.
import { z } from 'zod';
import { defineContract, method } from './contract.ts';

/** File-type filters of a dialog, as Electron takes them. */
export const dialogFilterSchema = z.object({ name: z.string().max(200), extensions: z.array(z.string().max(20)).max(50) });

/** What to ask for. */
export const openDialogSchema = z.object({
  title: z.string().max(200).optional(),
  /** 'file' (default) or 'folder'. */
  kind: z.enum(['file', 'folder']).optional(),
  filters: z.array(dialogFilterSchema).max(20).optional(),
});
/** Input of {@link openDialogSchema}. */
export type OpenDialog = z.input<typeof openDialogSchema>;

/** Where to save. */
export const saveDialogSchema = z.object({
  title: z.string().max(200).optional(),
  defaultPath: z.string().max(4096).optional(),
  filters: z.array(dialogFilterSchema).max(20).optional(),
});
/** Input of {@link saveDialogSchema}. */
export type SaveDialog = z.input<typeof saveDialogSchema>;

/** The chosen absolute path, or null when the user cancelled. */
export interface DialogChoice {
  path: string | null;
}

/** The `dialog` service. Errors: `dialog/unavailable` (browser mode, CLI: type a path instead). */
export const dialogContract = defineContract('dialog', {
  /** Whether there are native dialogs here (the app: true; browser mode, CLI: false — the page offers none). */
  available: method<boolean>(),
  /** Asks for an existing file or folder. */
  open: method<DialogChoice, z.ZodTuple<[typeof openDialogSchema], null>>(z.tuple([openDialogSchema])),
  /** Asks where to save a file. */
  save: method<DialogChoice, z.ZodTuple<[typeof saveDialogSchema], null>>(z.tuple([saveDialogSchema])),
});

/** The `dialog` contract's type. */
export type DialogContract = typeof dialogContract;
