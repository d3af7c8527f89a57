// Renderer: the curation undo stack (rune class). Each entry knows how to reverse one change through the dataset
// contract (previous fields, previous tags, restore of a soft delete, re-adding a region).

/** One reversible change. */
export interface UndoEntry {
  /** What Ctrl/Cmd+Z will undo, e.g. "Accept #12" (shown in the toolbar and the toast). */
  label: string;
  /** Examples the change touched (the view reloads them after undo). */
  exampleIds: number[];
  /** Reverses the change through the contract. */
  undo: () => Promise<void>;
}

const LIMIT = 100;

/** Last-in first-out stack of reversible curation changes. */
export class ReviewUndo {
  entries: UndoEntry[] = $state([]);
  busy = $state(false);

  /** The label of the change Ctrl/Cmd+Z would undo, or null. */
  get nextLabel(): string | null {
    return this.entries.at(-1)?.label ?? null;
  }

  /** Records a change that just succeeded. */
  push(entry: UndoEntry): void {
    this.entries = [...this.entries.slice(-(LIMIT - 1)), entry];
  }

  /**
   * Undoes the latest change; resolves with it (null when there was nothing to undo). When the reverse fails (e.g. the
   * example was changed elsewhere) the entry is dropped so older changes stay undoable, and the error is rethrown.
   */
  async undo(): Promise<UndoEntry | null> {
    const entry = this.entries.at(-1);
    if (!entry || this.busy) return null;
    this.busy = true;
    try {
      await entry.undo();
      return entry;
    } finally {
      this.entries = this.entries.filter((e) => e !== entry);
      this.busy = false;
    }
  }
}
