// Inference process entry: the only process that imports onnxruntime-node. Serves the `inferenceProcess` contract
// through the shared `serve` loop to its supervisor (Electron utilityProcess in the app, a forked Node child elsewhere).
import { connectToParent } from './parentPort.ts';
import { lookupIn, serve, type HandlerContext, type Handlers } from '../shared/process/serve.ts';
import { inferenceProcessContract, type InferenceProcessContract } from '../shared/ipc/inferenceProcess.ts';
import { listProviders } from './providers.ts';
import { Engine } from './engine.ts';
import { summarizeModelFolder } from './modelFolder.ts';

const engine = new Engine();
const testHooks = process.env.SLIME_TEST_HOOKS === '1';

function sleep(ms: number, signal: AbortSignal): Promise<{ slept: number; cancelled: boolean }> {
  return new Promise((resolve) => {
    const wait = testHooks ? ms : 0;
    const timer = setTimeout(() => resolve({ slept: wait, cancelled: false }), wait);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve({ slept: 0, cancelled: true });
    });
  });
}

const handlers: Handlers<InferenceProcessContract> = {
  ping: (_ctx, pong) => ({ pong: pong ?? null, pid: process.pid }),
  providers: () => listProviders(),
  listModels: (_ctx, dirs, defaultModelDir) => {
    const all = [...new Set([defaultModelDir, ...dirs].filter((d) => d.length > 0))];
    return Promise.all(all.map((d) => summarizeModelFolder(d, d === defaultModelDir)));
  },
  validateModel: (_ctx, dir, defaultModelDir) => summarizeModelFolder(dir, dir === defaultModelDir),
  loadModel: (_ctx, options) => engine.load(options),
  ask: (ctx, request) => engine.ask(request, ctx.signal, ctx.emit),
  reselect: (ctx, request) => engine.ask(request, ctx.signal, ctx.emit),
  score: (ctx, request) => engine.score(request, ctx.signal),
  embed: (ctx, request) => engine.embed(request, ctx.signal),
  sweep: (ctx, request) => engine.sweep(request, ctx.signal, ctx.emit),
  occlusion: (ctx, request) => engine.occlusion(request, ctx.signal, ctx.emit),
  status: () => engine.status(),
  crash: () => {
    if (testHooks) process.kill(process.pid, 'SIGKILL');
    return false;
  },
  sleep: (ctx, ms) => sleep(ms, ctx.signal),
};

serve(connectToParent(), inferenceProcessContract, { lookup: lookupIn<HandlerContext>(handlers), context: (call) => call });
