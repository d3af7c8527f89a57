// CLI (plain Node): `slime info` prints what app.info returns (version, platform, execution providers, folders).
import type { CliCommand } from '../command.ts';
import { appContract, type AppInfo } from '../../shared/ipc/app.ts';

/** Formats app.info for people. */
export function formatInfo(info: AppInfo): string[] {
  const bundled = info.executionProviders.filter((p) => p.bundled).map((p) => p.name);
  const missing = info.executionProviders.filter((p) => !p.bundled).map((p) => p.name);
  return [
    `${info.name} ${info.version}`,
    `platform    ${info.platform} ${info.arch}`,
    `runtime     Node ${info.node}${info.electron ? `, Electron ${info.electron}` : ' (no Electron)'}`,
    `providers   ${bundled.join(', ') || 'none'}${missing.length ? ` (not installed: ${missing.join(', ')})` : ''}`,
    `data dir    ${info.dataDir}`,
    `model dir   ${info.defaultModelDir}`,
  ];
}

/** `slime info [--json]` */
export const infoCommand: CliCommand = {
  name: 'info',
  summary: 'Show the version, platform and available execution providers',
  usage: 'slime info [--json]',
  async run(ctx) {
    const app = await ctx.client(appContract);
    const info = await app.info();
    if (ctx.json) ctx.out(JSON.stringify(info, null, 2));
    else for (const line of formatInfo(info)) ctx.out(line);
  },
};
