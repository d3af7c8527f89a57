// Benchmark (plain Node, `npm run bench:engine [-- --json]`): this engine against the PyTorch eager reference
// (bench/engine_reference.py) on the same model, image, question and machine, in one run. Runs are interleaved
// (PyTorch, engine, PyTorch, …) and ratios taken per pair, so background load hits both alike. Also the prefill's
// achieved GFLOP/s against a MatMul peak measured with onnxruntime on this machine.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { Engine } from '../electron/inference/engine.ts';
import type { AskResult, StageTimings } from '../electron/shared/ipc/inference.ts';
import { MANIFEST_VERSION } from '../electron/shared/manifest.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
const REFERENCE = path.join(ROOT, 'bench', 'engine_reference.py');

const { values } = parseArgs({
  options: {
    json: { type: 'boolean' },
    repeats: { type: 'string', default: '7' },
    model: { type: 'string' },
    checkpoint: { type: 'string' },
    image: { type: 'string', default: path.join(ROOT, 'test', 'fixtures', 'slime-tiny', 'images', 'wide.png') },
    question: { type: 'string', default: 'What color is the small square?' },
  },
});
const repeats = Math.max(1, Number(values.repeats));
const modelDir = path.resolve(values.model ?? path.join(os.tmpdir(), 'slime-bench-model'));
const image = path.resolve(values.image);
/** PyTorch weights of the model folder: its bench_model.pt, --checkpoint, or Nano's training output for models/nano. */
const nanoFinal = path.join(ROOT, 'models', 'nano', 'work', 'staged', 'final.pt');
const checkpoint = values.checkpoint
  ? path.resolve(values.checkpoint)
  : !existsSync(path.join(modelDir, 'bench_model.pt')) && modelDir === path.join(ROOT, 'models', 'nano') && existsSync(nanoFinal)
    ? nanoFinal
    : null;
const matmulFile = path.join(os.tmpdir(), 'slime-bench-matmul.onnx');
const log = (s: string): void => void (values.json ? process.stderr : process.stdout).write(`${s}\n`);

/** One timed PyTorch run as bench/engine_reference.py reports it. */
interface RefRun {
  ttft_ms: number;
  prefill_ms: number;
  decode_ms: number;
  decode_steps: number;
  decode_tok_s: number;
  seq_len: number;
  prefill_flops: number;
  tokens: number[];
  peak_rss_mb: number;
}

/** The PyTorch reference as a long-lived process: one JSON line per request. */
async function startReference(): Promise<{ run(): Promise<RefRun>; stop(): void; threads: number }> {
  const args = [
    REFERENCE,
    'serve',
    '--model',
    modelDir,
    '--image',
    image,
    '--question',
    values.question,
    ...(checkpoint ? ['--checkpoint', checkpoint] : []),
  ];
  const child = spawn(PYTHON, args, {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const r = await lines.next();
    if (r.done) throw new Error('the PyTorch reference stopped');
    return JSON.parse(r.value) as Record<string, unknown>;
  };
  const ready = await next();
  return {
    threads: Number(ready.threads),
    run: async () => {
      child.stdin.write('run\n');
      return (await next()) as unknown as RefRun;
    },
    stop: () => child.kill(),
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Best MatMul GFLOP/s over a few runs of an n×n fp32 product (the session is reused between calls). */
async function matmulPeak(session: InferenceSession): Promise<number> {
  const n = 1024;
  const a = new Tensor(
    'float32',
    Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000),
    [n, n],
  );
  let best = Infinity;
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    await session.run({ a, b: a });
    if (i > 1) best = Math.min(best, performance.now() - t);
  }
  return (2 * n ** 3) / (best / 1e3) / 1e9;
}

/** Decoder steps after the prefill: one per generated token except the last, unless an eos stopped it. */
function decodeSteps(r: AskResult): number {
  return r.inspection.tokens.generated - (r.inspection.stopReason === 'eos' ? 0 : 1);
}

function decodeMs(t: StageTimings): number {
  return t.generate + t.sample + t.detokenize;
}

/** Issue 5's host overhead: preprocessing (image decode included) + select + assemble + sampling, over the total. */
function hostShare(t: StageTimings, withDetokenize = false): number {
  return (t.decode + t.preprocess + t.select + t.assemble + t.sample + (withDetokenize ? t.detokenize : 0)) / t.total;
}

/** True when the folder has no manifest of the version this engine reads (an export by an older exporter). */
function stale(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { version?: unknown }).version !== MANIFEST_VERSION;
  } catch {
    return true;
  }
}

if (!checkpoint && (!existsSync(path.join(modelDir, 'bench_model.pt')) || stale(modelDir))) {
  log(`exporting the benchmark model to ${modelDir} …`);
  execFileSync(PYTHON, [REFERENCE, 'export', '--out', modelDir], { stdio: ['ignore', 'ignore', 'inherit'] });
}
if (!existsSync(matmulFile)) execFileSync(PYTHON, [REFERENCE, 'matmul', '--out', matmulFile], { stdio: ['ignore', 'ignore', 'inherit'] });
log(`starting the PyTorch eager reference and the engine on ${modelDir} …`);
const ref = await startReference();
const engine = new Engine();
await engine.load({ modelDir, warmup: true });
const ask = async (i: number): Promise<AskResult> => {
  engine.resetCaches();
  return engine.ask(
    { requestId: `bench-${i}`, image: { path: image }, question: values.question },
    new AbortController().signal,
    () => undefined,
  );
};
await ask(-1);
const matmul = await InferenceSession.create(matmulFile, {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
});
const peaks: number[] = [];
const pairs: { ref: RefRun; ours: AskResult }[] = [];
for (let i = 0; i < repeats; i++) {
  const r = await ref.run();
  // PyTorch's OpenMP threads keep spinning for a while after a run; let them go idle before timing the engine.
  await new Promise((res) => setTimeout(res, 300));
  const o = await ask(i);
  await new Promise((res) => setTimeout(res, 300));
  peaks.push(await matmulPeak(matmul));
  pairs.push({ ref: r, ours: o });
  log(`  pair ${i + 1}/${repeats}: ttft ${o.inspection.timings.ttft.toFixed(1)} vs ${r.ttft_ms.toFixed(1)} ms`);
}
ref.stop();
await engine.unload();
await matmul.release();
// The peak is the best the machine gave during the run (measured between pairs, under the same load).
const peak = Math.max(...peaks);

const first = pairs[0]!;
const refTokens = first.ref.tokens.slice(0, first.ours.tokenIds.length);
const t = pairs.map((p) => p.ours.inspection.timings);
const stage = (k: keyof StageTimings): number => median(t.map((x) => Number(x[k])));
const oursDecode = median(pairs.map((p) => decodeSteps(p.ours) / (decodeMs(p.ours.inspection.timings) / 1e3)));
const result = {
  ttft_ratio_vs_pytorch: median(pairs.map((p) => p.ours.inspection.timings.ttft / p.ref.ttft_ms)),
  decode_ratio_vs_pytorch: median(pairs.map((p) => decodeSteps(p.ours) / (decodeMs(p.ours.inspection.timings) / 1e3) / p.ref.decode_tok_s)),
  host_overhead_share: median(t.map((x) => hostShare(x))),
  prefill_gflops: median(pairs.map((p) => p.ref.prefill_flops / (p.ours.inspection.timings.prefill / 1e3) / 1e9)),
  matmul_peak_gflops: peak,
  peak_rss_mb: process.resourceUsage().maxRSS / 1024,
  details: {
    model: modelDir,
    pytorch_weights: checkpoint ?? path.join(modelDir, 'bench_model.pt'),
    machine: `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, load average ${os.loadavg()[0]!.toFixed(1)}`,
    providers: first.ours.inspection.providers.map((p) => `${p.graph}:${p.provider}`),
    engine_ms: Object.fromEntries(
      (
        [
          'decode',
          'preprocess',
          'encode',
          'project',
          'embed',
          'select',
          'assemble',
          'prefill',
          'generate',
          'sample',
          'detokenize',
          'ttft',
          'total',
        ] as const
      ).map((k) => [k, stage(k)]),
    ),
    engine_decode_tok_s: oursDecode,
    pytorch: {
      ttft_ms: median(pairs.map((p) => p.ref.ttft_ms)),
      decode_tok_s: median(pairs.map((p) => p.ref.decode_tok_s)),
      prefill_ms: median(pairs.map((p) => p.ref.prefill_ms)),
      peak_rss_mb: first.ref.peak_rss_mb,
      threads: ref.threads,
    },
    host_overhead_share_with_detokenize: median(t.map((x) => hostShare(x, true))),
    prefill_rows: first.ours.inspection.tokens.prefill,
    prefill_rows_match: first.ours.inspection.tokens.prefill === first.ref.seq_len,
    greedy_tokens_match: JSON.stringify(first.ours.tokenIds) === JSON.stringify(refTokens),
    repeats,
  },
};
if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  const py = result.details.pytorch;
  log(
    `time to first token   ${stage('ttft').toFixed(1)} ms vs PyTorch ${py.ttft_ms.toFixed(1)} ms → ratio ${result.ttft_ratio_vs_pytorch.toFixed(3)} (target ≤ 0.5)`,
  );
  log(
    `decode                ${oursDecode.toFixed(1)} tok/s vs PyTorch ${py.decode_tok_s.toFixed(1)} tok/s → ratio ${result.decode_ratio_vs_pytorch.toFixed(2)} (target ≥ 2)`,
  );
  log(`host overhead share   ${(result.host_overhead_share * 100).toFixed(1)} % (target ≤ 10 %)`);
  log(
    `prefill               ${result.prefill_gflops.toFixed(2)} GFLOP/s; MatMul peak ${peak.toFixed(1)} GFLOP/s (${result.details.prefill_rows} rows)`,
  );
  log(`peak RSS              ${result.peak_rss_mb.toFixed(0)} MB (PyTorch process ${py.peak_rss_mb.toFixed(0)} MB)`);
  log(`greedy tokens match   ${result.details.greedy_tokens_match}; ${result.details.machine}`);
  log(`engine stages (ms)    ${JSON.stringify(result.details.engine_ms)}`);
}
