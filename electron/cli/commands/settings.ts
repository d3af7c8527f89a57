// CLI (plain Node): `slime settings` prints the settings the app keeps in the data folder (model folders, the
// selected model, chat defaults, shortcuts) — the same file main's settings service writes.
import path from 'node:path';
import type { CliCommand } from '../command.ts';
import { readSettings, settingsFile } from '../../node/settingsStore.ts';
import { defaultDataDir } from '../../node/paths.ts';

/** `slime settings [--json]` */
export const settingsCommand: CliCommand = {
  name: 'settings',
  summary: "Show the app's settings (model folders, selected model, chat defaults, shortcuts)",
  usage: 'slime settings [--data-dir DIR] [--json]',
  async run(ctx) {
    const dataDir = path.resolve(typeof ctx.flags['data-dir'] === 'string' ? ctx.flags['data-dir'] : defaultDataDir());
    const settings = await readSettings(dataDir);
    if (ctx.json) return void ctx.out(JSON.stringify({ file: settingsFile(dataDir), ...settings }, null, 2));
    ctx.out(`file           ${settingsFile(dataDir)}`);
    ctx.out(`model folders  ${settings.modelFolders.join(', ') || 'none (the shipped model only)'}`);
    ctx.out(`selected       ${settings.selectedModel ?? 'the shipped model'}`);
    ctx.out(`chat defaults  ${JSON.stringify(settings.chatDefaults)}`);
    ctx.out(
      `shortcuts      ${
        Object.entries(settings.shortcuts)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'defaults'
      }`,
    );
  },
};
