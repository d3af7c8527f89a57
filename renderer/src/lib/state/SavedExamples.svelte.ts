// Renderer: which chat answers are already saved as examples (message id → example ids, oldest first), so the
// thread can mark them and the save dialog can warn before a duplicate.
import { api } from '../api/client.ts';

/** Saved-example marks of the open chat's answers. */
export class SavedExamples {
  /** Live example ids saved from each answer, by message id. */
  byMessage: Record<number, number[]> = $state({});
  private generation = 0;

  /** Example ids saved from message `id` (empty when none). */
  of(id: number): number[] {
    return this.byMessage[id] ?? [];
  }

  /** Looks up every message in `ids` (the chat's answers); replaces what was known. */
  async refresh(ids: readonly number[]): Promise<void> {
    const generation = ++this.generation;
    const found: Record<number, number[]> = {};
    await Promise.all(
      ids.map(async (id) => {
        try {
          const page = await api.dataset.listExamples({ sourceMessageId: id, sort: 'created', order: 'asc', limit: 100 });
          if (page.items.length) found[id] = page.items.map((e) => e.id);
        } catch {
          // A mark is a hint: a failed lookup shows none rather than an error over the chat.
        }
      }),
    );
    if (generation === this.generation) this.byMessage = found;
  }

  /** Records that message `messageId` was just saved as example `exampleId`. */
  mark(messageId: number, exampleId: number): void {
    const ids = this.of(messageId);
    if (!ids.includes(exampleId)) this.byMessage = { ...this.byMessage, [messageId]: [...ids, exampleId] };
  }
}
