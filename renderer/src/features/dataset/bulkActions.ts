// Renderer: bulk curation changes (status, tag, delete) over many examples through `dataset.bulkUpdate` /
// `deleteExamples`, each returning the undo entry that reverses it.
import type { ExampleSummary, ReviewStatus } from '$shared/ipc/dataset.ts';
import { api } from '../../lib/api/client.ts';
import type { UndoEntry } from '../../lib/state/ReviewUndo.svelte.ts';

/** Finds what a row looked like before the change (undefined when its page is not loaded). */
export type RowLookup = (id: number) => ExampleSummary | undefined;

function plural(n: number): string {
  return `${n} example${n === 1 ? '' : 's'}`;
}

/** Sets the status of `ids`; undo restores each example's previous status. */
export async function bulkSetStatus(ids: number[], status: ReviewStatus, lookup: RowLookup): Promise<UndoEntry> {
  const before = new Map<ReviewStatus, number[]>();
  for (const id of ids) {
    const previous = lookup(id)?.status;
    if (previous && previous !== status) before.set(previous, [...(before.get(previous) ?? []), id]);
  }
  await api.dataset.bulkUpdate(ids, { status });
  return {
    label: `Set ${plural(ids.length)} to ${status}`,
    exampleIds: ids,
    undo: async () => {
      for (const [previous, group] of before) await api.dataset.bulkUpdate(group, { status: previous });
    },
  };
}

/** Adds `tag` to `ids`; undo removes it only where it was not there before. */
export async function bulkAddTag(ids: number[], tag: string, lookup: RowLookup): Promise<UndoEntry> {
  const added = ids.filter((id) => !lookup(id)?.tags.includes(tag));
  await api.dataset.bulkUpdate(ids, { addTags: [tag] });
  return {
    label: `Tag ${plural(ids.length)} "${tag}"`,
    exampleIds: ids,
    undo: async () => {
      if (added.length) await api.dataset.bulkUpdate(added, { removeTags: [tag] });
    },
  };
}

/** Removes `tag` from `ids`; undo puts it back where it was. */
export async function bulkRemoveTag(ids: number[], tag: string, lookup: RowLookup): Promise<UndoEntry> {
  const had = ids.filter((id) => lookup(id)?.tags.includes(tag) ?? true);
  await api.dataset.bulkUpdate(ids, { removeTags: [tag] });
  return {
    label: `Untag ${plural(ids.length)} "${tag}"`,
    exampleIds: ids,
    undo: async () => {
      if (had.length) await api.dataset.bulkUpdate(had, { addTags: [tag] });
    },
  };
}

/** Soft-deletes `ids`; undo restores them. */
export async function bulkDelete(ids: number[]): Promise<UndoEntry> {
  await api.dataset.deleteExamples(ids);
  return {
    label: `Delete ${plural(ids.length)}`,
    exampleIds: ids,
    undo: async () => void (await api.dataset.restoreExamples(ids)),
  };
}
