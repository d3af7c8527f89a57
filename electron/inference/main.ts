// Inference process entry: the only process that imports onnxruntime-node. Serves the handlers over the
// process protocol to its supervisor (Electron utilityProcess in the app, a forked Node child elsewhere).
import { connectToParent } from './parentPort.ts';
import { serveRequests, type Handler } from '../shared/process/serve.ts';
import { listProviders } from './providers.ts';

const handlers: Record<string, Handler> = {
  /** Liveness probe: echoes its argument with this process's pid. */
  ping: (args) => ({ pong: args ?? null, pid: process.pid }),
  /** Execution providers onnxruntime-node reports on this machine. */
  providers: () => listProviders(),
  /** Test hook: crashes the process the hard way (only honoured when SLIME_TEST_HOOKS=1). */
  crash: () => {
    if (process.env.SLIME_TEST_HOOKS === '1') process.kill(process.pid, 'SIGKILL');
    return false;
  },
  /** Test hook: waits `ms` or until cancelled (only honoured when SLIME_TEST_HOOKS=1). */
  sleep: (args, ctx) =>
    new Promise((resolve) => {
      const ms = typeof args === 'number' && process.env.SLIME_TEST_HOOKS === '1' ? args : 0;
      const timer = setTimeout(() => resolve({ slept: ms, cancelled: false }), ms);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve({ slept: 0, cancelled: true });
      });
    }),
};

serveRequests(connectToParent(), handlers);
