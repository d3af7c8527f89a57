// Builds the renderer-facing `window.api` object from plain service descriptors and a transport. Pure
// TypeScript shared by the preload (Electron IPC transport) and the e2e test bridge (exposeBinding transport).
import type { Contract } from './contract.ts';
import { eventChannel, methodChannel } from './contract.ts';
import type { Result } from '../errors.ts';

/** One method of a service as the api builder needs it. */
export interface MethodDescriptor {
  name: string;
  channel: string;
}

/** One event of a service: the `onXxx` property name and the channel that carries it. */
export interface EventDescriptor {
  listener: string;
  channel: string;
}

/** A service reduced to names and channels (plain data: it crosses into a page as JSON). */
export interface ServiceDescriptor {
  service: string;
  methods: MethodDescriptor[];
  events: EventDescriptor[];
}

/** How the api object talks to the main side. */
export interface ApiTransport {
  /** Sends a call; resolves with the Result the router produced. */
  invoke(channel: string, args: unknown[]): Promise<Result<unknown>>;
  /** Subscribes to an event channel; returns the unsubscribe function. */
  on(channel: string, listener: (payload: unknown) => void): () => void;
}

/** A built api: service name → member name → function. */
export type BuiltApi = Record<string, Record<string, (...args: never[]) => unknown>>;

/** Reduces a contract to its descriptor (channel names derived once, here). */
export function describeContract(contract: Contract): ServiceDescriptor {
  return {
    service: contract.service,
    methods: Object.keys(contract.methods).map((name) => ({ name, channel: methodChannel(contract.service, name) })),
    events: Object.keys(contract.events).map((name) => ({
      listener: `on${name.charAt(0).toUpperCase()}${name.slice(1)}`,
      channel: eventChannel(contract.service, name),
    })),
  };
}

/**
 * Builds one frozen object per service: a function per method (resolving to a Result) and an
 * `onXxx(listener) → unsubscribe` per event. Self-contained on purpose: the e2e bridge injects its
 * source text (`buildApi.toString()`) into the page, so it must not reference anything outside itself.
 */
export function buildApi(descriptors: ServiceDescriptor[], transport: ApiTransport): BuiltApi {
  const api: BuiltApi = {};
  for (const d of descriptors) {
    const service: Record<string, (...args: never[]) => unknown> = {};
    for (const m of d.methods) {
      const channel = m.channel;
      service[m.name] = (...args: unknown[]): Promise<Result<unknown>> => transport.invoke(channel, args);
    }
    for (const e of d.events) {
      const channel = e.channel;
      service[e.listener] = (listener: (payload: unknown) => void): (() => void) => {
        if (typeof listener !== 'function') throw new TypeError(`${e.listener} expects a function`);
        return transport.on(channel, listener);
      };
    }
    api[d.service] = Object.freeze(service);
  }
  return Object.freeze(api);
}
