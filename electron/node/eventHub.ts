// Node-only: fans service events out to transports (Electron windows, the e2e bridge, the CLI). Services get
// a typed EventSink per contract; transports subscribe to (channel, payload) pairs.
import type { Contract, EventSink } from '../shared/ipc/contract.ts';
import { eventChannel } from '../shared/ipc/contract.ts';

/** Receives every event published by any service. */
export type EventListener = (channel: string, payload: unknown) => void;

/** A small publish/subscribe hub keyed by event channel. */
export class EventHub {
  private readonly listeners = new Set<EventListener>();

  /** Adds a transport listener; returns its unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Publishes `payload` on `channel` to every listener; a throwing listener does not stop the others. */
  publish(channel: string, payload: unknown): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(channel, payload);
      } catch (thrown) {
        console.error(`[events] listener failed on ${channel}:`, thrown);
      }
    }
  }

  /** A typed sink that publishes the events of `contract`. */
  sinkFor<C extends Contract>(contract: C): EventSink<C> {
    return (name, payload) => this.publish(eventChannel(contract.service, name), payload);
  }
}
