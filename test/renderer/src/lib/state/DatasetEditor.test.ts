// Unit: the example editor with its undo stack over the real database worker — load, dirty draft, save (empty turns
// refused), review status with pending edits, tags and regions, each change undone through the real contract.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installRealApi, type RealApi } from '../../../harness/realApi.ts';
import { REPO_ROOT } from '../../../../../electron/node/paths.ts';
import type { Api } from '../../../../../renderer/src/lib/api/client.ts';
import type { DatasetEditor as EditorType } from '../../../../../renderer/src/lib/state/DatasetEditor.svelte.ts';
import type { ReviewUndo as UndoType } from '../../../../../renderer/src/lib/state/ReviewUndo.svelte.ts';

let real: RealApi;
let api: Api;
let DatasetEditor: typeof EditorType;
let ReviewUndo: typeof UndoType;
let exampleId: number;

beforeAll(async () => {
  real = await installRealApi('editor');
  ({ api } = await import('../../../../../renderer/src/lib/api/client.ts'));
  ({ DatasetEditor } = await import('../../../../../renderer/src/lib/state/DatasetEditor.svelte.ts'));
  ({ ReviewUndo } = await import('../../../../../renderer/src/lib/state/ReviewUndo.svelte.ts'));
  const bytes = new Uint8Array(await readFile(path.join(REPO_ROOT, 'test', 'fixtures', 'slime-tiny', 'images', 'square.png')));
  const image = await api.dataset.addImage(bytes, 'square.png');
  const example = await api.dataset.createExample({ imageSha256: image.sha256, turns: [{ question: 'Q?', answer: 'A.' }], tags: ['x'] });
  exampleId = example.id;
});

afterAll(async () => {
  await real?.close();
});

describe('DatasetEditor', () => {
  it('loads an example with its image and reports a missing one', async () => {
    const editor = new DatasetEditor(new ReviewUndo());
    await editor.load(exampleId);
    expect(editor.example?.turns).toEqual([{ question: 'Q?', answer: 'A.' }]);
    expect(editor.imageUrl).toMatch(/^\/image\//);
    expect(editor.imageUrl).toBe(`/image/sha/${editor.example!.image!.sha256}`);
    expect(editor.dirty).toBe(false);
    await editor.load(987_654);
    expect(editor.error).toMatch(/Could not open example #987654/);
    await editor.load(null);
    expect(editor.example).toBeNull();
  });

  it('saves an edited draft, refuses empty turns, and undoes the edit', async () => {
    const undo = new ReviewUndo();
    const editor = new DatasetEditor(undo);
    await editor.load(exampleId);
    const source = editor.example!.answerSource;
    editor.draft.turns[0]!.answer = 'A better answer.';
    expect(editor.dirty).toBe(true);
    expect(await editor.save()).toBe(true);
    expect((await api.dataset.getExample(exampleId)).turns[0]!.answer).toBe('A better answer.');
    expect(undo.nextLabel).toBe(`Edit #${exampleId}`);
    editor.draft = { ...editor.draft, turns: [] };
    expect(await editor.save()).toBe(false);
    expect(editor.error).toMatch(/at least one question\/answer turn/);
    await undo.undo();
    const restored = await api.dataset.getExample(exampleId);
    expect(restored.turns[0]!.answer).toBe('A.');
    expect(restored.answerSource).toBe(source);
  });

  it('sets the status after saving pending edits; undo restores the status', async () => {
    const undo = new ReviewUndo();
    const editor = new DatasetEditor(undo);
    await editor.load(exampleId);
    editor.draft.notes = 'checked';
    expect(await editor.setStatus('accepted')).toBe(true);
    expect(undo.entries.map((e) => e.label)).toEqual([`Edit #${exampleId}`, `Accept #${exampleId}`]);
    const saved = await api.dataset.getExample(exampleId);
    expect([saved.status, saved.notes]).toEqual(['accepted', 'checked']);
    expect(await editor.setStatus('accepted')).toBe(true);
    expect(undo.entries).toHaveLength(2);
    await undo.undo();
    expect((await api.dataset.getExample(exampleId)).status).toBe('draft');
  });

  it('replaces tags and adds, moves and deletes regions, each undoable', async () => {
    const undo = new ReviewUndo();
    const editor = new DatasetEditor(undo);
    await editor.load(exampleId);
    expect(await editor.setTags(['y', 'z'])).toBe(true);
    expect(editor.example?.tags.sort()).toEqual(['y', 'z']);
    expect(await editor.addRegion({ x1: 1, y1: 2, x2: 10, y2: 12, note: 'n', tokens: null })).toBe(true);
    await editor.reload();
    const region = editor.example!.regions[0]!;
    expect(await editor.updateRegion(region.id, { x2: 20 })).toBe(true);
    expect((await api.dataset.getExample(exampleId)).regions[0]!.x2).toBe(20);
    expect(await editor.addRegion({ x1: 5, y1: 5, x2: 5, y2: 9, note: '', tokens: null })).toBe(false);
    expect(editor.error).toMatch(/Add region to #\d+ failed/);
    await undo.undo();
    expect((await api.dataset.getExample(exampleId)).regions[0]!.x2).toBe(10);
    await undo.undo();
    expect((await api.dataset.getExample(exampleId)).regions).toHaveLength(0);
    await undo.undo();
    expect((await api.dataset.getExample(exampleId)).tags).toEqual(['x']);
  });
});
