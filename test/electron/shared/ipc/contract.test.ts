// Unit: channel names are derived from the contract once.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineContract, event, eventChannel, method, methodChannel, methodChannels } from '../../../../electron/shared/ipc/contract.ts';

describe('contract', () => {
  const demo = defineContract(
    'demo',
    { add: method<number, z.ZodTuple<[z.ZodNumber, z.ZodNumber], null>>(z.tuple([z.number(), z.number()])), hello: method<string>() },
    { tick: event<number>() },
  );

  it('derives method and event channels from the service name', () => {
    expect(methodChannel('demo', 'add')).toBe('demo:add');
    expect(eventChannel('demo', 'tick')).toBe('demo:event:tick');
    expect(methodChannels(demo)).toEqual(['demo:add', 'demo:hello']);
  });

  it('defaults to an empty argument tuple and no events', () => {
    const bare = defineContract('bare', { go: method<void>() });
    expect(bare.events).toEqual({});
    expect(bare.methods.go.args.safeParse([]).success).toBe(true);
    expect(bare.methods.go.args.safeParse([1]).success).toBe(false);
  });
});
