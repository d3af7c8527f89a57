// Renderer: the model picker's state — the shipped SliME-Nano plus folders the user added (validated), the chosen
// model, and loading it with elapsed-time progress. One shared instance (`models`) for Chat and Settings.
import type { InferenceStatus, ModelSummary } from '$shared/ipc/inference.ts';
import { api } from '../api/client.ts';
import { toErrorView, type ErrorView } from '../components/errorView.ts';
import { readStored, writeStored } from './ChatSettings.svelte.ts';

const DIRS_KEY = 'slime.models.userDirs';
const SELECTED_KEY = 'slime.models.selected';

/** Model folders, the selection and the engine's load state. */
export class ModelsState {
  models: ModelSummary[] = $state([]);
  userDirs: string[] = $state(readStored<string[]>(DIRS_KEY, []));
  /** The chosen folder; null = the shipped default. */
  selectedDir: string | null = $state(readStored<string | null>(SELECTED_KEY, null));
  listing = $state(false);
  loading = $state(false);
  loadStartedAt = $state(0);
  status: InferenceStatus | null = $state(null);
  error: ErrorView | null = $state(null);

  /** The chosen model's summary, when listed. */
  get selected(): ModelSummary | undefined {
    return this.models.find((m) => (this.selectedDir === null ? m.isDefault : m.dir === this.selectedDir));
  }

  /** The folder to pass as `modelDir` (undefined = the default). */
  get modelDir(): string | undefined {
    return this.selectedDir ?? undefined;
  }

  /** Lists (and validates) the default model and the user's folders. */
  async refresh(): Promise<void> {
    this.listing = true;
    try {
      this.models = await api.inference.listModels(this.userDirs);
      this.error = null;
      if (this.selectedDir !== null && !this.models.some((m) => m.dir === this.selectedDir)) this.select(null);
    } catch (thrown) {
      this.error = toErrorView(thrown, 'Could not list models');
    } finally {
      this.listing = false;
    }
  }

  /** Validates `dir` and adds it to the list (also when invalid, so its error shows). */
  async addFolder(dir: string): Promise<ModelSummary | null> {
    const trimmed = dir.trim();
    if (!trimmed) return null;
    try {
      const summary = await api.inference.validateModel(trimmed);
      if (!this.userDirs.includes(summary.dir) && !summary.isDefault) {
        this.userDirs = [...this.userDirs, summary.dir];
        writeStored(DIRS_KEY, this.userDirs);
      }
      this.models = [...this.models.filter((m) => m.dir !== summary.dir), summary];
      this.error = null;
      return summary;
    } catch (thrown) {
      this.error = toErrorView(thrown, 'Could not check the folder');
      return null;
    }
  }

  /** Forgets a user folder (files are untouched). */
  removeFolder(dir: string): void {
    this.userDirs = this.userDirs.filter((d) => d !== dir);
    writeStored(DIRS_KEY, this.userDirs);
    this.models = this.models.filter((m) => m.dir !== dir || m.isDefault);
    if (this.selectedDir === dir) this.select(null);
  }

  /** Chooses the model new questions go to (null = the shipped default). */
  select(dir: string | null): void {
    this.selectedDir = dir;
    writeStored(SELECTED_KEY, dir);
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
