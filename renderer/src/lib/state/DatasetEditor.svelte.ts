// Renderer: the open example (rune class) — loads it, keeps an editable draft of turns/notes/system prompt, and
// applies status, tag and region changes through the dataset contract, pushing each change's reverse onto the undo stack.
import type { Example, ExamplePatch, NewRegion, Region, ReviewStatus, Turn } from '$shared/ipc/dataset.ts';
import { storedImageUrl } from '$shared/ipc/images.ts';
import { api } from '../api/client.ts';
import { describeError } from '../components/errorView.ts';
import type { ReviewUndo } from './ReviewUndo.svelte.ts';

/** The fields the editor's form changes before "Save". */
export interface ExampleDraft {
  turns: Turn[];
  notes: string;
  system: string;
}

function draftOf(example: Example): ExampleDraft {
  return { turns: example.turns.map((t) => ({ ...t })), notes: example.notes, system: example.system ?? '' };
}

function sameDraft(a: ExampleDraft, b: ExampleDraft): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function boxOf(r: Region): NewRegion {
  return { x1: r.x1, y1: r.y1, x2: r.x2, y2: r.y2, note: r.note, tokens: r.tokens };
}

/** One example open for editing. */
export class DatasetEditor {
  example: Example | null = $state(null);
  draft: ExampleDraft = $state({ turns: [], notes: '', system: '' });
  imageUrl: string | null = $state(null);
  error: string | null = $state(null);
  busy = $state(false);
  private readonly undo: ReviewUndo;
  private loadToken = 0;
  /** The example the latest `load` asked for (may still be in flight). */
  private requestedId: number | null = null;

  constructor(undo: ReviewUndo) {
    this.undo = undo;
  }

  /** Whether the form differs from the stored example. */
  get dirty(): boolean {
    return this.example !== null && !sameDraft(this.draft, draftOf(this.example));
  }

  /** Loads example `id` (null closes the editor). Unsaved draft changes are dropped: call `save` first. */
  async load(id: number | null): Promise<void> {
    const token = ++this.loadToken;
    this.requestedId = id;
    if (id === null) {
      this.example = null;
      return;
    }
    try {
      const example = await api.dataset.getExample(id);
      if (token !== this.loadToken) return;
      this.example = example;
      this.draft = draftOf(example);
      this.error = null;
      this.imageUrl = example.image ? storedImageUrl(example.image.sha256) : null;
    } catch (thrown) {
      if (token === this.loadToken)
        this.error = `Could not open example #${id}: ${describeError(thrown)}. It may have been deleted; pick another example or clear the filters.`;
    }
  }

  /** Re-reads the open example, keeping unsaved form edits when `keepDraft`. */
  async reload(keepDraft = false): Promise<void> {
    // Reload what was asked for last: a reload must not undo a switch to another example still loading.
    const id = this.requestedId;
    if (id === null || this.example?.id !== id) return;
    const draft = this.draft;
    await this.load(id);
    if (keepDraft && this.example?.id === id) this.draft = draft;
  }

  private async run(label: string, exampleId: number, change: () => Promise<void>, reverse: () => Promise<void>): Promise<boolean> {
    this.busy = true;
    try {
      await change();
      this.undo.push({ label, exampleIds: [exampleId], undo: reverse });
      this.error = null;
      return true;
    } catch (thrown) {
      this.error = `${label} failed: ${describeError(thrown)}. Nothing was changed; adjust it and try again.`;
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** Saves the draft (turns, notes, system prompt). Empty turns are refused with a message. */
  async save(): Promise<boolean> {
    const ex = this.example;
    if (!ex || !this.dirty) return true;
    if (this.draft.turns.length === 0) {
      this.error = 'An example needs at least one question/answer turn. Add a turn, then save.';
      return false;
    }
    const patch: ExamplePatch = {
      turns: this.draft.turns,
      notes: this.draft.notes,
      system: this.draft.system.trim() ? this.draft.system : null,
    };
    const previous: ExamplePatch = { turns: ex.turns, notes: ex.notes, system: ex.system, answerSource: ex.answerSource };
    return this.run(
      `Edit #${ex.id}`,
      ex.id,
      async () => {
        this.example = await api.dataset.updateExample(ex.id, patch);
        this.draft = draftOf(this.example);
      },
      async () => void (await api.dataset.updateExample(ex.id, previous)),
    );
  }

  /** Sets the review status (saving pending form edits first). */
  async setStatus(status: ReviewStatus): Promise<boolean> {
    const ex = this.example;
    if (!ex || !(await this.save())) return false;
    const before = ex.status;
    if (before === status) return true;
    return this.run(
      `${status === 'accepted' ? 'Accept' : status === 'rejected' ? 'Reject' : `Mark ${status}`} #${ex.id}`,
      ex.id,
      async () => {
        this.example = await api.dataset.updateExample(ex.id, { status });
      },
      async () => void (await api.dataset.updateExample(ex.id, { status: before })),
    );
  }

  /** Replaces the tags. */
  async setTags(tags: string[]): Promise<boolean> {
    const ex = this.example;
    if (!ex) return false;
    const before = ex.tags;
    return this.run(
      `Tags of #${ex.id}`,
      ex.id,
      async () => {
        const saved = await api.dataset.setExampleTags(ex.id, tags);
        if (this.example?.id === ex.id) this.example = { ...this.example, tags: saved };
      },
      async () => void (await api.dataset.setExampleTags(ex.id, before)),
    );
  }

  /** Adds a region (original-image pixels). */
  async addRegion(box: NewRegion): Promise<boolean> {
    const ex = this.example;
    if (!ex) return false;
    let created: Region | null = null;
    return this.run(
      `Add region to #${ex.id}`,
      ex.id,
      async () => {
        created = await api.dataset.addRegion(ex.id, box);
        if (this.example?.id === ex.id) this.example = { ...this.example, regions: [...this.example.regions, created] };
      },
      async () => {
        if (created) await api.dataset.deleteRegion(created.id);
      },
    );
  }

  /** Moves, resizes or re-notes a region. */
  async updateRegion(id: number, patch: Partial<NewRegion>): Promise<boolean> {
    const ex = this.example;
    const before = ex?.regions.find((r) => r.id === id);
    if (!ex || !before) return false;
    const setRegion = (region: Region): void => {
      if (this.example?.id === ex.id)
        this.example = { ...this.example, regions: this.example.regions.map((r) => (r.id === id ? region : r)) };
    };
    // Shown at once, so quick successive nudges build on each other rather than on the last saved box.
    setRegion({ ...before, ...patch, note: patch.note ?? before.note, tokens: patch.tokens ?? before.tokens });
    const ok = await this.run(
      `Edit region of #${ex.id}`,
      ex.id,
      async () => setRegion(await api.dataset.updateRegion(id, patch)),
      async () => void (await api.dataset.updateRegion(id, boxOf(before))),
    );
    if (!ok) setRegion(before);
    return ok;
  }

  /** Deletes a region (undo re-creates it). */
  async deleteRegion(id: number): Promise<boolean> {
    const ex = this.example;
    const before = ex?.regions.find((r) => r.id === id);
    if (!ex || !before) return false;
    return this.run(
      `Delete region of #${ex.id}`,
      ex.id,
      async () => {
        await api.dataset.deleteRegion(id);
        if (this.example?.id === ex.id) this.example = { ...this.example, regions: this.example.regions.filter((r) => r.id !== id) };
      },
      async () => void (await api.dataset.addRegion(ex.id, boxOf(before))),
    );
  }
}
