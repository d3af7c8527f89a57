// CLI (plain Node): the table of `slime` commands. Adding a command = one module in this folder + one line here.
import type { CliCommand } from '../command.ts';
import { infoCommand } from './info.ts';
import { datasetCommand } from './dataset.ts';
import { askCommand } from './ask.ts';
import { settingsCommand } from './settings.ts';
import { convertCommand } from './convert.ts';

/** Every command, in the order `slime --help` lists them. */
export const COMMANDS: readonly CliCommand[] = [infoCommand, askCommand, datasetCommand, settingsCommand, convertCommand];
