// Unit: the api builder shared by the preload and the e2e bridge (one function per method, onXxx per event).
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineContract, event, method } from '../../../../electron/shared/ipc/contract.ts';
import { buildApi, describeContract, type ApiTransport } from '../../../../electron/shared/ipc/buildApi.ts';
import { apiDescriptors, CONTRACTS } from '../../../../electron/shared/ipc/registry.ts';
import { ok } from '../../../../electron/shared/errors.ts';

const demo = defineContract(
  'demo',
  { echo: method<string, z.ZodTuple<[z.ZodString], null>>(z.tuple([z.string()])) },
  { progress: event<number>(), jobDone: event<string>() },
);

function recordingTransport(): ApiTransport & { calls: [string, unknown[]][]; emit(channel: string, payload: unknown): void } {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const calls: [string, unknown[]][] = [];
  return {
    calls,
    invoke: async (channel, args) => {
      calls.push([channel, args]);
      return ok(args[0]);
    },
    on: (channel, listener) => {
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      set.add(listener);
      return () => set.delete(listener);
    },
    emit: (channel, payload) => listeners.get(channel)?.forEach((l) => l(payload)),
  };
}

describe('buildApi', () => {
  it('describes a contract with derived channels and listener names', () => {
    expect(describeContract(demo)).toEqual({
      service: 'demo',
      methods: [{ name: 'echo', channel: 'demo:echo' }],
      events: [
        { listener: 'onProgress', channel: 'demo:event:progress' },
        { listener: 'onJobDone', channel: 'demo:event:jobDone' },
      ],
    });
  });

  it('forwards method calls with their argument list', async () => {
    const transport = recordingTransport();
    const api = buildApi([describeContract(demo)], transport);
    const echo = api.demo!.echo as unknown as (s: string) => Promise<unknown>;
    expect(await echo('hi')).toEqual({ ok: true, value: 'hi' });
    expect(transport.calls).toEqual([['demo:echo', ['hi']]]);
  });

  it('subscribes and unsubscribes event listeners', () => {
    const transport = recordingTransport();
    const api = buildApi([describeContract(demo)], transport);
    const seen: unknown[] = [];
    const onProgress = api.demo!.onProgress as unknown as (l: (p: unknown) => void) => () => void;
    const off = onProgress((p) => seen.push(p));
    transport.emit('demo:event:progress', 1);
    off();
    transport.emit('demo:event:progress', 2);
    expect(seen).toEqual([1]);
    expect(() => onProgress('nope' as unknown as (p: unknown) => void)).toThrow(TypeError);
  });

  it('freezes the api and works from its own source text (as the bridge injects it)', async () => {
    const rebuilt = new Function(`return (${buildApi.toString()})`)() as typeof buildApi;
    const api = rebuilt([describeContract(demo)], recordingTransport());
    expect(Object.isFrozen(api) && Object.isFrozen(api.demo)).toBe(true);
    const echo = api.demo!.echo as unknown as (s: string) => Promise<unknown>;
    expect(await echo('x')).toEqual({ ok: true, value: 'x' });
  });

  it('describes every registered contract', () => {
    expect(apiDescriptors().map((d) => d.service)).toEqual(CONTRACTS.map((c) => c.service));
    expect(
      apiDescriptors()
        .find((d) => d.service === 'app')
        ?.methods.map((m) => m.name),
    ).toContain('info');
  });
});
