// CLI (plain Node): what a `slime` command is and what it gets to run (flags, typed service clients, output), and the client builder.
import type { ParseArgsOptionsConfig } from 'node:util';
import type { ClientApi, Contract } from '../shared/ipc/contract.ts';
import { methodChannel } from '../shared/ipc/contract.ts';
import type { Router } from '../shared/ipc/router.ts';
import { unwrap, type Result } from '../shared/errors.ts';
import type { Services } from '../node/services/createServices.ts';

/** A service client whose methods resolve to values and throw AppFailure on a failure Result. */
export type CliClient<C extends Contract> = {
  [K in keyof ClientApi<C>]: ClientApi<C>[K] extends (...args: infer A) => Promise<Result<infer R>> ? (...args: A) => Promise<R> : never;
};

/** A typed client that dispatches through `router` and throws AppFailure on a failure Result. */
export function clientFor<C extends Contract>(router: Router, contract: C): CliClient<C> {
  const client: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const name of Object.keys(contract.methods)) {
    client[name] = async (...args) => unwrap(await router.dispatch(methodChannel(contract.service, name), args));
  }
  return client as CliClient<C>;
}

/** Parsed flag values (strings, booleans, or arrays of them for `multiple` options). */
export type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** Everything a command can use. */
export interface CliContext {
  /** Positional arguments after the command name. */
  positionals: string[];
  /** Global and command flags. `json` is true when --json was given. */
  flags: FlagValues;
  json: boolean;
  /** A typed client of a service, dispatched through the same router (zod validation) as the app. */
  client<C extends Contract>(contract: C): Promise<CliClient<C>>;
  /** The running services (started on first use; stopped when the command ends). */
  services(): Promise<Services>;
  /** Writes a line to stdout. */
  out(line: string): void;
  /** Writes a line to stderr. */
  err(line: string): void;
}

/** One `slime <name>` command. Register it in electron/cli/commands/index.ts. */
export interface CliCommand {
  name: string;
  /** One line for `--help`. */
  summary: string;
  /** Usage line(s) shown by `slime <name> --help`, e.g. "slime ask <image> <question> [--json]". */
  usage: string;
  /** Command-specific flags in node:util parseArgs form. */
  options?: ParseArgsOptionsConfig;
  /** Runs the command; resolves to the exit code (default 0). Throw AppFailure for a clean error exit. */
  run(ctx: CliContext): Promise<number | void>;
}
