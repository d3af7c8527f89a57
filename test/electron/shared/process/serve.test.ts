// Unit: the one serve loop — contract-parsed arguments, lookup as the allow-list (own properties only), events,
// cancel, and errors as data; driven through the ContractClient and Supervisor over an in-memory port.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineContract, method } from '../../../../electron/shared/ipc/contract.ts';
import { lookupIn, serve, type HandlerContext, type Handlers } from '../../../../electron/shared/process/serve.ts';
import { Supervisor } from '../../../../electron/shared/process/supervisor.ts';
import { ContractClient } from '../../../../electron/shared/process/client.ts';
import type { ChildEndpoint, ChildMessage, ParentMessage } from '../../../../electron/shared/process/protocol.ts';
import { AppFailure } from '../../../../electron/shared/errors.ts';

const probe = defineContract('probe', {
  add: method<number, z.ZodTuple<[z.ZodNumber, z.ZodDefault<z.ZodNumber>], null>>(z.tuple([z.number(), z.number().default(10)])),
  count: method<string, z.ZodTuple<[z.ZodNumber], null>>(z.tuple([z.number().int()])),
  wait: method<string>(),
  fail: method<never>(),
  hidden: method<string>(),
});

const handlers: Omit<Handlers<typeof probe>, 'hidden'> = {
  add: (_ctx, a, b) => a + b,
  count: (ctx, n) => {
    for (let i = 1; i <= n; i++) ctx.emit(i);
    return 'counted';
  },
  wait: (ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve('aborted'))),
  fail: () => {
    throw new AppFailure('db/conflict', 'taken', { row: 1 });
  },
};

/** A child endpoint whose "process" is the serve loop in this thread. */
function inMemoryChild(): ChildEndpoint {
  let toParent: (m: ChildMessage) => void = () => {};
  let toChild: (m: unknown) => void = () => {};
  serve({ send: (m) => queueMicrotask(() => toParent(m)), onMessage: (l) => (toChild = l) }, probe, {
    lookup: lookupIn<HandlerContext>(handlers),
    context: (call) => call,
  });
  return {
    pid: 1,
    send: (m: ParentMessage) => queueMicrotask(() => toChild(m)),
    onMessage: (l) => (toParent = l),
    onExit: () => undefined,
    kill: () => undefined,
  };
}

describe('serve', () => {
  const client = new ContractClient(probe, new Supervisor({ name: 'probe', spawn: inMemoryChild }), 5_000);

  it('parses arguments with the contract (defaults filled) and answers with a Result', async () => {
    expect(await client.call('add', 1)).toEqual({ ok: true, value: 11 });
    expect(await client.call('add', 1, 2)).toEqual({ ok: true, value: 3 });
    const bad = await client.callWith('count', [1.5], {});
    expect(bad).toMatchObject({ ok: false, error: { code: 'ipc/bad-args' } });
  });

  it('streams events and honours cancel', async () => {
    const events: unknown[] = [];
    expect(await client.callWith('count', [3], { onEvent: (p) => events.push(p) })).toEqual({ ok: true, value: 'counted' });
    expect(events).toEqual([1, 2, 3]);
    expect(await client.callWith('wait', [], { timeoutMs: 30 })).toMatchObject({ ok: false, error: { code: 'process/timeout' } });
  });

  it('keeps the failure code and details, and refuses what the lookup does not own', async () => {
    expect(await client.call('fail')).toEqual({ ok: false, error: { code: 'db/conflict', message: 'taken', details: { row: 1 } } });
    expect(await client.call('hidden')).toMatchObject({ ok: false, error: { code: 'ipc/unknown-method' } });
    const sup = new Supervisor({ name: 'probe', spawn: inMemoryChild });
    expect(await sup.request('toString')).toMatchObject({ ok: false, error: { code: 'ipc/unknown-method' } });
    await sup.stop();
  });
});
