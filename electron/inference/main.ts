// Inference process entry: the only process that imports onnxruntime-node. Serves the handlers over the
// process protocol to its supervisor (Electron utilityProcess in the app, a forked Node child elsewhere).
import { connectToParent } from './parentPort.ts';
import { serveRequests, type Handler } from '../shared/process/serve.ts';
import { listProviders } from './providers.ts';
import { Engine } from './engine.ts';
import { summarizeModelFolder } from './modelFolder.ts';

const engine = new Engine();

function modelDirs(args: unknown): { dirs: string[]; defaultModelDir: string } {
  const a = (args ?? {}) as { dirs?: unknown; defaultModelDir?: unknown };
  return {
    dirs: Array.isArray(a.dirs) ? a.dirs.filter((d): d is string => typeof d === 'string') : [],
    defaultModelDir: typeof a.defaultModelDir === 'string' ? a.defaultModelDir : '',
  };
}

const handlers: Record<string, Handler> = {
  /** Liveness probe: echoes its argument with this process's pid. */
  ping: (args) => ({ pong: args ?? null, pid: process.pid }),
  /** Execution providers onnxruntime-node reports on this machine. */
  providers: () => listProviders(),
  /** Validates the default model folder and the given ones: { dirs, defaultModelDir } → ModelSummary[]. */
  listModels: async (args) => {
    const { dirs, defaultModelDir } = modelDirs(args);
    const all = [...new Set([defaultModelDir, ...dirs].filter((d) => d.length > 0))];
    return Promise.all(all.map((d) => summarizeModelFolder(d, d === defaultModelDir)));
  },
  /** Validates one folder: { dir, defaultModelDir } → ModelSummary. */
  validateModel: (args) => {
    const a = (args ?? {}) as { dir?: unknown; defaultModelDir?: unknown };
    return summarizeModelFolder(String(a.dir ?? ''), a.dir === a.defaultModelDir);
  },
  /** Loads a model with provider settings (LoadOptions) → InferenceStatus. */
  loadModel: (args) => engine.load((args ?? {}) as Parameters<Engine['load']>[0]),
  /** Answers a question (AskRequest with an image path); streams { kind: 'token' | 'stage', requestId, … }. */
  ask: (args, ctx) => engine.ask(args, ctx.signal, ctx.emit),
  /** Same as ask; the features of an already-seen image come from the cache. */
  reselect: (args, ctx) => engine.ask(args, ctx.signal, ctx.emit),
  /** The detail score (ScoreRequest with an image path) → ScoreResult. */
  score: (args, ctx) => engine.score(args, ctx.signal),
  /** Loaded model, providers per graph, queue. */
  status: () => engine.status(),
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
