// Inference process: finds its transport to the parent, Electron's utilityProcess parentPort or Node's fork IPC.
import type { ParentPort } from '../shared/process/serve.ts';
import type { ChildMessage } from '../shared/process/protocol.ts';

interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
}

/** The port to the supervising parent; throws when this process was started without one. */
export function connectToParent(): ParentPort {
  const electronPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (electronPort) {
    return {
      send: (m: ChildMessage) => electronPort.postMessage(m),
      onMessage: (listener) => electronPort.on('message', (e) => listener(e.data)),
    };
  }
  if (typeof process.send === 'function') {
    // A parent that dies without telling us must not leave an orphaned inference process behind.
    process.on('disconnect', () => process.exit(0));
    return {
      send: (m: ChildMessage) => {
        if (process.connected) process.send!(m);
      },
      onMessage: (listener) => process.on('message', listener),
    };
  }
  throw new Error('The inference process must be started by a supervisor (utilityProcess or fork)');
}
