// Renderer: the app's settings as main keeps them in the data folder (`settings.json`: model folders, the selected
// model, chat defaults, shortcuts) — loaded once, kept current by `settings.changed`; nothing in localStorage.
import type { Settings, SettingsPatch } from '$shared/ipc/settings.ts';
import { api } from '../api/client.ts';

const EMPTY: Settings = { modelFolders: [], selectedModel: null, chatDefaults: {}, shortcuts: {} };

/** The stored settings (one shared instance, {@link appSettings}). */
export class AppSettings {
  value: Settings = $state(structuredClone(EMPTY));
  loaded = $state(false);
  private loading: Promise<void> | null = null;
  private subscribed = false;

  /** Resolves once the stored settings were read (a failed read leaves the defaults; the next call tries again). */
  ready(): Promise<void> {
    this.loading ??= this.load();
    return this.loading;
  }

  /** Changes the selected model, chat defaults or shortcuts; resolves to the stored result. */
  async update(patch: SettingsPatch): Promise<Settings> {
    return this.keep(await api.settings.update(patch));
  }

  /** Validates and stores a model folder; throws ApiError (the folder's `inference/model-*` error), storing nothing. */
  async addModelFolder(dir: string): Promise<Settings> {
    return this.keep(await api.settings.addModelFolder(dir));
  }

  /** Forgets a model folder (and the selection when it pointed there). */
  async removeModelFolder(dir: string): Promise<Settings> {
    return this.keep(await api.settings.removeModelFolder(dir));
  }

  private keep(settings: Settings): Settings {
    this.value = settings;
    return settings;
  }

  private async load(): Promise<void> {
    try {
      if (!this.subscribed) api.settings.onChanged((settings) => this.keep(settings));
      this.subscribed = true;
      this.keep(await api.settings.get());
      this.loaded = true;
    } catch {
      this.loading = null;
    }
  }
}

/** The app's one settings state. */
export const appSettings = new AppSettings();
