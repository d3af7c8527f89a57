// Renderer: the conversation list — search, rename, delete — over the dataset contract.
import type { Conversation } from '$shared/ipc/dataset.ts';
import { api } from '../api/client.ts';
import { toErrorView, type ErrorView } from '../components/errorView.ts';

/** The sidebar's conversations. */
export class ChatConversations {
  items: Conversation[] = $state([]);
  search = $state('');
  loading = $state(false);
  error: ErrorView | null = $state(null);
  private generation = 0;

  /** Reloads the list for the current search text (newest activity first). */
  async refresh(): Promise<void> {
    const mine = ++this.generation;
    this.loading = true;
    try {
      const page = await api.dataset.listConversations({ ...(this.search.trim() ? { search: this.search.trim() } : {}), limit: 200 });
      if (mine !== this.generation) return;
      this.items = page.items;
      this.error = null;
    } catch (thrown) {
      if (mine === this.generation) this.error = toErrorView(thrown, 'Could not list chats');
    } finally {
      if (mine === this.generation) this.loading = false;
    }
  }

  /** Renames conversation `id`; false (with the error shown) when it failed. */
  async rename(id: number, title: string): Promise<boolean> {
    try {
      const updated = await api.dataset.renameConversation(id, title);
      this.items = this.items.map((c) => (c.id === id ? updated : c));
      return true;
    } catch (thrown) {
      this.error = toErrorView(thrown, 'Could not rename the chat');
      return false;
    }
  }

  /** Deletes conversation `id` and its messages (saved examples stay). */
  async remove(id: number): Promise<boolean> {
    try {
      await api.dataset.deleteConversation(id);
      this.items = this.items.filter((c) => c.id !== id);
      return true;
    } catch (thrown) {
      this.error = toErrorView(thrown, 'Could not delete the chat');
      return false;
    }
  }
}
