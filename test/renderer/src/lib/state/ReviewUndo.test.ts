// Unit: the curation undo stack — last in, first out, a bounded history, and a failed reverse that is dropped
// (so older changes stay undoable) and rethrown.
import { describe, expect, it } from 'vitest';
import { ReviewUndo, type UndoEntry } from '../../../../../renderer/src/lib/state/ReviewUndo.svelte.ts';

function entry(label: string, log: string[], fail = false): UndoEntry {
  return {
    label,
    exampleIds: [Number(label.replace(/\D/g, '')) || 0],
    undo: async () => {
      if (fail) throw new Error(`cannot undo ${label}`);
      log.push(label);
    },
  };
}

describe('ReviewUndo', () => {
  it('undoes the latest change first and reports what it undid', async () => {
    const undo = new ReviewUndo();
    const log: string[] = [];
    expect(undo.nextLabel).toBeNull();
    expect(await undo.undo()).toBeNull();
    undo.push(entry('Accept #1', log));
    undo.push(entry('Reject #2', log));
    expect(undo.nextLabel).toBe('Reject #2');
    expect((await undo.undo())?.label).toBe('Reject #2');
    expect(undo.nextLabel).toBe('Accept #1');
    expect((await undo.undo())?.exampleIds).toEqual([1]);
    expect(log).toEqual(['Reject #2', 'Accept #1']);
    expect(undo.nextLabel).toBeNull();
    expect(undo.busy).toBe(false);
  });

  it('keeps the last 100 changes', async () => {
    const undo = new ReviewUndo();
    const log: string[] = [];
    for (let i = 1; i <= 130; i++) undo.push(entry(`Edit #${i}`, log));
    expect(undo.entries).toHaveLength(100);
    expect(undo.entries[0]!.label).toBe('Edit #31');
    expect(undo.nextLabel).toBe('Edit #130');
  });

  it('drops a change whose reverse fails and rethrows, leaving older changes undoable', async () => {
    const undo = new ReviewUndo();
    const log: string[] = [];
    undo.push(entry('Accept #1', log));
    undo.push(entry('Delete #2', log, true));
    await expect(undo.undo()).rejects.toThrow('cannot undo Delete #2');
    expect(undo.busy).toBe(false);
    expect(undo.nextLabel).toBe('Accept #1');
    expect((await undo.undo())?.label).toBe('Accept #1');
    expect(log).toEqual(['Accept #1']);
  });

  it('runs one undo at a time: a second call while one runs does nothing', async () => {
    const undo = new ReviewUndo();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    undo.push(entry('Accept #1', []));
    undo.push({ label: 'Slow #2', exampleIds: [2], undo: () => gate });
    const first = undo.undo();
    expect(undo.busy).toBe(true);
    expect(await undo.undo()).toBeNull();
    release();
    expect((await first)?.label).toBe('Slow #2');
    expect(undo.nextLabel).toBe('Accept #1');
  });
});
