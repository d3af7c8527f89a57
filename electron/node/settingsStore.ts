// Node: the settings file in the data folder (`settings.json`), read leniently and written atomically (temp file +
// rename), one write at a time. Used by the settings service (main, browser mode) and the CLI.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Settings } from '../shared/ipc/settings.ts';

/** Settings before anything was stored. */
export const DEFAULT_SETTINGS: Settings = { modelFolders: [], selectedModel: null, chatDefaults: {}, shortcuts: {} };

/** The settings file of a data folder. */
export function settingsFile(dataDir: string): string {
  return path.join(dataDir, 'settings.json');
}

/** Reads the settings of `dataDir`; a missing or unreadable file gives the defaults (a damaged one is not fatal). */
export async function readSettings(dataDir: string): Promise<Settings> {
  const text = await readFile(settingsFile(dataDir), 'utf8').catch(() => null);
  if (text === null) return structuredClone(DEFAULT_SETTINGS);
  try {
    const raw = JSON.parse(text) as Partial<Settings>;
    return {
      modelFolders: Array.isArray(raw.modelFolders) ? raw.modelFolders.filter((f) => typeof f === 'string') : [],
      selectedModel: typeof raw.selectedModel === 'string' ? raw.selectedModel : null,
      chatDefaults: typeof raw.chatDefaults === 'object' && raw.chatDefaults !== null ? raw.chatDefaults : {},
      shortcuts: typeof raw.shortcuts === 'object' && raw.shortcuts !== null ? raw.shortcuts : {},
    };
  } catch {
    return structuredClone(DEFAULT_SETTINGS);
  }
}

/** The settings of one data folder, changed one at a time and written atomically. */
export class SettingsStore {
  private readonly dataDir: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(dataDir: string) {
    this.dataDir = dataDir;
  }

  /** The stored settings. */
  read(): Promise<Settings> {
    return readSettings(this.dataDir);
  }

  /** Applies `change` to the stored settings and writes the result; resolves to it. */
  change(change: (current: Settings) => Settings | Promise<Settings>): Promise<Settings> {
    const next = this.queue.then(async () => {
      const updated = await change(await this.read());
      await mkdir(this.dataDir, { recursive: true });
      const file = settingsFile(this.dataDir);
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, `${JSON.stringify(updated, null, 2)}\n`);
      await rename(temp, file);
      return updated;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
