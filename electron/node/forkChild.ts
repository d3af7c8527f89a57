// Node-only spawner (CLI, tests, the e2e bridge): runs a child entry with child_process.fork and adapts it
// to the supervisor's ChildEndpoint. Electron main uses utilityProcess instead (electron/main/utilityChild.ts).
import { fork } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { ChildEndpoint, ChildMessage, ExitInfo, Spawn } from '../shared/process/protocol.ts';
import { isChildMessage } from '../shared/process/protocol.ts';

/** Options for a forked child. */
export interface ForkOptions {
  /** Environment additions for the child. */
  env?: Record<string, string>;
  /** Extra command-line arguments. */
  args?: string[];
  /** Node flags for the child (e.g. `--max-old-space-size`). */
  execArgv?: string[];
  /** Receives the child's stderr instead of our stderr (e.g. to filter it); stdout stays inherited. */
  onStderr?: (stream: Readable) => void;
  /** Forward the child's stdout/stderr to ours (default: inherit). */
  silent?: boolean;
}

/** Returns a Spawn that forks `entry` (a .ts file runs through Node's type stripping). */
export function forkSpawner(entry: string, options: ForkOptions = {}): Spawn {
  return () => {
    const child = fork(entry, options.args ?? [], {
      env: { ...process.env, ...options.env },
      stdio: options.silent ? ['ignore', 'ignore', 'pipe', 'ipc'] : ['inherit', 'inherit', options.onStderr ? 'pipe' : 'inherit', 'ipc'],
      serialization: 'advanced',
      ...(options.execArgv ? { execArgv: [...process.execArgv, ...options.execArgv] } : {}),
    });
    if (options.onStderr && child.stderr) options.onStderr(child.stderr);
    let launchError: string | undefined;
    child.on('error', (error) => {
      launchError = error.message;
    });
    const endpoint: ChildEndpoint = {
      pid: child.pid,
      send: (message) => {
        if (!child.connected) throw new Error('child is not connected');
        child.send(message);
      },
      onMessage: (listener: (m: ChildMessage) => void) => {
        child.on('message', (m) => {
          if (isChildMessage(m)) listener(m);
        });
      },
      onExit: (listener: (info: ExitInfo) => void) => {
        child.on('exit', (code, signal) => listener({ code, signal, ...(launchError ? { error: launchError } : {}) }));
      },
      kill: () => {
        child.kill('SIGKILL');
      },
    };
    return endpoint;
  };
}
