// Unit: the event hub fans typed service events out to transports on derived channels.
import { describe, expect, it, vi } from 'vitest';
import { EventHub } from '../../../electron/node/eventHub.ts';
import { defineContract, event, method } from '../../../electron/shared/ipc/contract.ts';

describe('EventHub', () => {
  const jobs = defineContract('jobs', { run: method<void>() }, { progress: event<{ done: number }>() });

  it('publishes a contract event on its channel to every subscriber until unsubscribed', () => {
    const hub = new EventHub();
    const a: unknown[] = [];
    const b: unknown[] = [];
    const offA = hub.subscribe((c, p) => a.push([c, p]));
    hub.subscribe((c, p) => b.push([c, p]));
    const sink = hub.sinkFor(jobs);
    sink('progress', { done: 1 });
    offA();
    sink('progress', { done: 2 });
    expect(a).toEqual([['jobs:event:progress', { done: 1 }]]);
    expect(b).toHaveLength(2);
  });

  it('keeps delivering when one listener throws', () => {
    const hub = new EventHub();
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const seen: string[] = [];
    hub.subscribe(() => {
      throw new Error('bad listener');
    });
    hub.subscribe((c) => seen.push(c));
    hub.publish('x:event:y', null);
    expect(seen).toEqual(['x:event:y']);
    expect(spy).toHaveBeenCalled();
    spy.mockRestore();
  });
});
