// Renderer: the model picker's state — the shipped SliME-Nano plus folders the user added (validated and kept by
// main's settings service), the chosen model, and loading it with elapsed-time progress. One shared instance
// (`models`) for Chat and Settings.
import type { InferenceStatus, ModelSummary } from '$shared/ipc/inference.ts';
import { api } from '../api/client.ts';
import { toErrorView, type ErrorView } from '../components/errorView.ts';
import { appSettings } from './AppSettings.svelte.ts';

/** Model folders, the selection and the engine's load state. */
export class ModelsState {
  models: ModelSummary[] = $state([]);
  /** The user's model folders (absolute; the shipped model is never one of them). */
  readonly userDirs: string[] = $derived(appSettings.value.modelFolders);
  /** The chosen folder; null = the shipped default. */
  readonly selectedDir: string | null = $derived(appSettings.value.selectedModel);
  listing = $state(false);
  loading = $state(false);
  loadStartedAt = $state(0);
  status: InferenceStatus | null = $state(null);
  error: ErrorView | null = $state(null);
  /** Why the folder last given to {@link addFolder} was refused (it was not stored). */
  folderError: ErrorView | null = $state(null);

  /** The chosen model's summary, when listed. */
  get selected(): ModelSummary | undefined {
    return this.models.find((m) => (this.selectedDir === null ? m.isDefault : m.dir === this.selectedDir));
  }

  /** The folder to pass as `modelDir` (undefined = the default). */
  get modelDir(): string | undefined {
    return this.selectedDir ?? undefined;
  }

  /** Counts refresh() calls: only the latest call's listing is applied. */
  #refreshes = 0;

  /**
   * Lists (and validates) the default model and the user's folders. Calls may overlap (Settings lists on mount, an
   * added folder lists again): an older listing that resolves after a newer one is dropped, so a folder just added
   * does not vanish behind the listing that started before it was stored.
   */
  async refresh(): Promise<void> {
    const call = ++this.#refreshes;
    this.listing = true;
    try {
      await appSettings.ready();
      const listed = await api.settings.models();
      if (call !== this.#refreshes) return;
      this.models = listed;
      this.error = null;
      if (this.selectedDir !== null && !this.models.some((m) => m.dir === this.selectedDir)) await this.select(null);
    } catch (thrown) {
      if (call === this.#refreshes) this.error = toErrorView(thrown, 'Could not list models');
    } finally {
      if (call === this.#refreshes) this.listing = false;
    }
  }

  /** Adds a model folder: main validates it first and refuses (nothing stored) one that is not a model; true when added. */
  async addFolder(dir: string): Promise<boolean> {
    const trimmed = dir.trim();
    if (!trimmed) return false;
    try {
      await appSettings.addModelFolder(trimmed);
      this.folderError = null;
    } catch (thrown) {
      this.folderError = toErrorView(thrown, `Could not add ${trimmed}`);
      return false;
    }
    await this.refresh();
    return true;
  }

  /** Forgets a user folder (files are untouched). */
  async removeFolder(dir: string): Promise<void> {
    try {
      await appSettings.removeModelFolder(dir);
      this.models = this.models.filter((m) => m.dir !== dir || m.isDefault);
    } catch (thrown) {
      this.error = toErrorView(thrown, 'Could not remove the folder');
    }
  }

  /** Chooses the model new questions go to (null = the shipped default). */
  async select(dir: string | null): Promise<void> {
    try {
      await appSettings.update({ selectedModel: dir });
    } catch (thrown) {
      this.error = toErrorView(thrown, 'Could not save the chosen model');
    }
  }

  /** Loads the chosen model now (otherwise the first question loads it). */
  async load(): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    this.loadStartedAt = performance.now();
    try {
      this.status = await api.inference.loadModel(this.modelDir ? { modelDir: this.modelDir } : {});
      this.error = null;
    } catch (thrown) {
      this.error = toErrorView(thrown, 'Could not load the model');
    } finally {
      this.loading = false;
    }
  }

  /** Refreshes the engine status (which model is loaded, providers per graph). */
  async refreshStatus(): Promise<void> {
    try {
      this.status = await api.inference.status();
    } catch (thrown) {
      this.error = toErrorView(thrown, 'Could not read the engine status');
    }
  }
}

/** The app's one model state. */
export const models = new ModelsState();
