// Unit: the router validates arguments with zod and turns every outcome into a Result (never throws).
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineContract, method } from '../../../../electron/shared/ipc/contract.ts';
import { bind, createRouter } from '../../../../electron/shared/ipc/router.ts';
import { AppFailure } from '../../../../electron/shared/errors.ts';

const calc = defineContract('calc', {
  add: method<number, z.ZodTuple<[z.ZodNumber, z.ZodNumber], null>>(z.tuple([z.number(), z.number()])),
  fail: method<never>(),
  crash: method<never>(),
  slow: method<string>(),
});

function makeRouter(onSlow?: (channel: string, ms: number) => void): ReturnType<typeof createRouter> {
  return createRouter(
    [
      bind(calc, {
        add: (a, b) => a + b,
        fail: () => {
          throw new AppFailure('image/unsupported', 'not an image');
        },
        crash: () => {
          throw new TypeError('oops');
        },
        slow: () => new Promise<string>((resolve) => setTimeout(() => resolve('done'), 30)),
      }),
    ],
    { slowMs: 10, ...(onSlow ? { onSlow } : {}) },
  );
}

describe('router', () => {
  it('dispatches valid calls to the implementation', async () => {
    const router = makeRouter();
    expect(router.channels()).toEqual(['calc:add', 'calc:fail', 'calc:crash', 'calc:slow']);
    expect(await router.dispatch('calc:add', [2, 3])).toEqual({ ok: true, value: 5 });
  });

  it('answers bad arguments with ipc/bad-args naming the argument', async () => {
    const r = await makeRouter().dispatch('calc:add', [2, 'three']);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('ipc/bad-args');
    expect(r.error.message).toContain('1');
    expect((await makeRouter().dispatch('calc:add', [1])).ok).toBe(false);
    expect((await makeRouter().dispatch('calc:add', undefined)).ok).toBe(false);
  });

  it('answers an unknown channel with ipc/unknown-method', async () => {
    const r = await makeRouter().dispatch('calc:sub', [1, 2]);
    expect(!r.ok && r.error.code).toBe('ipc/unknown-method');
  });

  it('passes a thrown AppFailure code through and maps other throws to internal', async () => {
    const router = makeRouter();
    expect(await router.dispatch('calc:fail', [])).toEqual({ ok: false, error: { code: 'image/unsupported', message: 'not an image' } });
    const crashed = await router.dispatch('calc:crash', []);
    expect(!crashed.ok && crashed.error).toEqual({ code: 'internal', message: 'oops' });
  });

  it('reports slow calls by channel', async () => {
    const slow: string[] = [];
    await makeRouter((channel) => slow.push(channel)).dispatch('calc:slow', []);
    expect(slow).toEqual(['calc:slow']);
  });

  it('refuses to build when an implementation misses a method', () => {
    const partial = { add: (a: number, b: number) => a + b } as unknown as Parameters<typeof bind<typeof calc>>[1];
    expect(() => createRouter([bind(calc, partial)])).toThrow(/does not implement fail/);
  });
});
