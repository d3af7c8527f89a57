// Electron main: adapts an Electron UtilityProcess to the supervisor's ChildEndpoint (pure adapter, no
// runtime Electron import, so it is unit-tested with a fake). utilityChild.ts does the actual fork.
import type { ChildEndpoint, ChildMessage, ExitInfo, ParentMessage } from '../shared/process/protocol.ts';
import { isChildMessage } from '../shared/process/protocol.ts';

/** The part of Electron's UtilityProcess the adapter uses. */
export interface UtilityProcessLike {
  readonly pid: number | undefined;
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
}

/** Wraps a utility process as a ChildEndpoint; messages that are not protocol messages are dropped. */
export function utilityEndpoint(child: UtilityProcessLike): ChildEndpoint {
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  return {
    get pid() {
      return child.pid;
    },
    send(message: ParentMessage) {
      if (exited) throw new Error('utility process has exited');
      child.postMessage(message);
    },
    onMessage(listener: (m: ChildMessage) => void) {
      child.on('message', (m) => {
        if (isChildMessage(m)) listener(m);
      });
    },
    onExit(listener: (info: ExitInfo) => void) {
      child.on('exit', (code) => listener({ code, signal: null }));
    },
    kill() {
      child.kill();
    },
  };
}
