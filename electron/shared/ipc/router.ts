// Transport-independent dispatcher: validates arguments with the contract's zod schemas and wraps every
// outcome in a Result. Electron's ipcMain handler, the e2e test bridge and the CLI all go through it.
import type { Contract, ServiceImpl } from './contract.ts';
import { methodChannel } from './contract.ts';
import { err, toAppError, ok, type Result } from '../errors.ts';

/** A registered contract and its implementation. */
export interface Binding<C extends Contract = Contract> {
  contract: C;
  impl: ServiceImpl<C>;
}

/** Pairs a contract with its implementation (keeps the types tied together). */
export function bind<C extends Contract>(contract: C, impl: ServiceImpl<C>): Binding {
  return { contract, impl } as unknown as Binding;
}

/** Dispatches `channel` calls to implementations. */
export interface Router {
  /** Every channel this router answers. */
  channels(): string[];
  /** Validates `args` and runs the method; never throws. */
  dispatch(channel: string, args: unknown): Promise<Result<unknown>>;
}

/** Optional hook called with the channel name and duration of calls slower than `slowMs`. */
export interface RouterOptions {
  slowMs?: number;
  onSlow?: (channel: string, ms: number) => void;
  onError?: (channel: string, thrown: unknown) => void;
}

/** Builds a router over the given bindings. */
export function createRouter(bindings: Binding[], options: RouterOptions = {}): Router {
  const table = new Map<string, { schema: Contract['methods'][string]['args']; fn: (...a: unknown[]) => unknown }>();
  for (const { contract, impl } of bindings) {
    for (const [name, spec] of Object.entries(contract.methods)) {
      const fn = (impl as Record<string, (...a: unknown[]) => unknown>)[name];
      if (typeof fn !== 'function') throw new Error(`service ${contract.service} does not implement ${name}`);
      table.set(methodChannel(contract.service, name), { schema: spec.args, fn: fn.bind(impl) });
    }
  }
  const slowMs = options.slowMs ?? 500;
  return {
    channels: () => [...table.keys()],
    async dispatch(channel, args) {
      const entry = table.get(channel);
      if (!entry) return err('ipc/unknown-method', `No such method: ${channel}`);
      const parsed = entry.schema.safeParse(Array.isArray(args) ? args : [args]);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(args)'}: ${i.message}`);
        return err('ipc/bad-args', `Invalid arguments for ${channel}: ${issues.join('; ')}`, { issues });
      }
      const started = performance.now();
      try {
        const value = await entry.fn(...(parsed.data as unknown[]));
        return ok(value);
      } catch (thrown) {
        options.onError?.(channel, thrown);
        return { ok: false, error: toAppError(thrown) };
      } finally {
        const ms = performance.now() - started;
        if (ms > slowMs) options.onSlow?.(channel, ms);
      }
    },
  };
}
