// Electron main: spawns the inference process with utilityProcess.fork (the app's counterpart of
// electron/node/forkChild.ts); the same Supervisor runs above it.
import { utilityProcess } from 'electron';
import type { Spawn } from '../shared/process/protocol.ts';
import { utilityEndpoint } from './utilityEndpoint.ts';

/** Returns a Spawn that forks `entry` (a built .js file) as an Electron utility process. */
export function utilitySpawner(entry: string, serviceName: string, env: Record<string, string> = {}): Spawn {
  return () => {
    const child = utilityProcess.fork(entry, [], {
      serviceName,
      stdio: 'inherit',
      env: { ...process.env, ...env },
    });
    return utilityEndpoint(child);
  };
}
