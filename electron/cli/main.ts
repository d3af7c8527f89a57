// CLI entry (plain Node, `npm run slime -- …`): parses the command line, runs one command over the same
// services and contracts as the app, prints errors as `error [code]: message` and exits non-zero, never a stack.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { AppFailure, toAppError } from '../shared/errors.ts';
import { createRouter, type Router } from '../shared/ipc/router.ts';
import { createServices, type Services } from '../node/services/createServices.ts';
import { forkSpawner } from '../node/forkChild.ts';
import { DEFAULT_MODEL_DIR, INFERENCE_ENTRY, defaultDataDir } from '../node/paths.ts';
import { forwardLines } from '../node/stderrFilter.ts';
import { readAppVersion } from '../node/appVersion.ts';
import { clientFor, type CliCommand, type CliContext, type FlagValues } from './command.ts';
import { COMMANDS } from './commands/index.ts';

/** Where the CLI writes. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const GLOBAL_OPTIONS: ParseArgsOptionsConfig = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
  'model-dir': { type: 'string' },
};

/** Exit codes: 0 ok, 1 a service failed, 2 bad usage. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

function help(): string[] {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: slime <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    '  --json             machine-readable output',
    '  --data-dir <dir>   data directory (default $SLIME_DATA_DIR or ~/.slime-studio)',
    '  --model-dir <dir>  model folder (default models/nano)',
    '  -h, --help         show help (also: slime <command> --help)',
  ];
}

function makeContext(positionals: string[], flags: FlagValues, io: CliIo): { ctx: CliContext; dispose(): Promise<void> } {
  let started: Promise<{ services: Services; router: Router }> | undefined;
  const start = (): Promise<{ services: Services; router: Router }> =>
    (started ??= createServices({
      spawnInference: forkSpawner(INFERENCE_ENTRY, {
        // WebGPU probing prints Vulkan/Dawn warnings although nothing failed; show them only when asked for.
        ...(process.env.SLIME_GPU_LOG === '1' ? {} : { onStderr: (stream) => forwardLines(stream, io.err) }),
      }),
      dataDir: typeof flags['data-dir'] === 'string' ? flags['data-dir'] : defaultDataDir(),
      defaultModelDir: typeof flags['model-dir'] === 'string' ? flags['model-dir'] : DEFAULT_MODEL_DIR,
      version: readAppVersion(),
      electronVersion: null,
      log: (level, message) => {
        if (level !== 'info') io.err(message);
      },
    }).then((services) => ({ services, router: createRouter(services.bindings) })));
  const ctx: CliContext = {
    positionals,
    flags,
    json: flags.json === true,
    client: async (contract) => clientFor((await start()).router, contract),
    services: async () => (await start()).services,
    out: io.out,
    err: io.err,
  };
  return { ctx, dispose: async () => (started ? (await started).services.dispose() : undefined) };
}

function parse(command: CliCommand | undefined, argv: string[]): { positionals: string[]; flags: FlagValues } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...GLOBAL_OPTIONS, ...command?.options },
      allowPositionals: true,
      strict: true,
    });
    return { positionals, flags: values as FlagValues };
  } catch (thrown) {
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    // The model folder has one name everywhere: the global --model-dir.
    const hint = /'--model'/.test(message) ? ' (the model folder is given with --model-dir)' : '';
    throw new AppFailure('ipc/bad-args', `${message}${hint}`);
  }
}

/** The command name (first positional, skipping global option values) and the other arguments. */
function splitCommand(argv: string[]): { name: string | undefined; rest: string[] } {
  const { tokens } = parseArgs({ args: argv, options: GLOBAL_OPTIONS, allowPositionals: true, strict: false, tokens: true });
  const first = tokens.find((t) => t.kind === 'positional');
  if (!first) return { name: undefined, rest: argv };
  return { name: first.value, rest: argv.filter((_, i) => i !== first.index) };
}

/** Runs the CLI on `argv` (without node and script); resolves to the exit code. Never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const { name, rest } = splitCommand(argv);
  const command = COMMANDS.find((c) => c.name === name);
  let dispose: () => Promise<void> = async () => {};
  try {
    if (name !== undefined && !command) {
      io.err(`error [ipc/unknown-method]: unknown command "${name}" (see slime --help)`);
      return EXIT_USAGE;
    }
    const { positionals, flags } = parse(command, rest);
    if (!command || flags.help === true) {
      for (const line of command ? [`Usage: ${command.usage}`, '', command.summary] : help()) io.out(line);
      return command || flags.help === true ? 0 : EXIT_USAGE;
    }
    const made = makeContext(positionals, flags, io);
    dispose = made.dispose;
    return (await command.run(made.ctx)) ?? 0;
  } catch (thrown) {
    const error = toAppError(thrown);
    io.err(`error [${error.code}]: ${error.message}`);
    return error.code === 'ipc/bad-args' ? EXIT_USAGE : EXIT_FAILURE;
  } finally {
    await dispose().catch(() => {});
  }
}

if (import.meta.main) {
  const code = await runCli(process.argv.slice(2), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
  process.exitCode = code;
}
