// Benchmark (plain Node, `npm run bench:decode [-- --json]`): this engine's prefill and decode against llama.cpp
// (node-llama-cpp, Q4_0 GGUF) and onnxruntime-genai (its builder's int4 graph) on the SAME random weights of the
// 1B rehearsal shape, same prompt length (~1,140 rows), 64 greedy tokens, interleaved rounds, medians of per-round
// ratios; plus the machine's read bandwidth and the bytes an int4 decode step reads (the bound).
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(import.meta.dirname, '..');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
const NODE = process.execPath;
const { values } = parseArgs({
  options: {
    json: { type: 'boolean' },
    shape: { type: 'string', default: '1b' },
    base: { type: 'string', default: '/work/rehearsal' },
    rounds: { type: 'string', default: '5' },
    tokens: { type: 'string', default: '64' },
    only: { type: 'string', default: 'ours,llamacpp,genai' },
  },
});
const base = path.join(values.base, values.shape);
const tokens = Number(values.tokens);
const rounds = Math.max(1, Number(values.rounds));
const engines = values.only.split(',').filter(Boolean);
const log = (s: string): void => void (values.json ? process.stderr : process.stdout).write(`${s}\n`);
const py = (args: string[]): string => execFileSync(PYTHON, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

/** The checkpoint, our int4 export (manifest v2), the GGUF, the genai model and the image; each made when missing. */
function prepare(): { checkpoint: string; ours: string; gguf: string; genai: string; image: string } {
  const checkpoint = path.join(base, 'checkpoint');
  const files = {
    checkpoint,
    ours: path.join(base, 'export-int4'),
    gguf: path.join(base, 'llm-q4_0.gguf'),
    genai: path.join(base, 'genai-int4'),
    image: path.join(base, 'image-640x480.png'),
  };
  if (!existsSync(path.join(checkpoint, 'rehearsal.json'))) {
    log(`writing the ${values.shape} rehearsal checkpoint to ${base} …`);
    py(['-m', 'models.rehearse', '--shape', values.shape, '--base', base, '--dtypes', '', '--results', '']);
  }
  const manifest = path.join(files.ours, 'manifest.json');
  const version = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: number }).version : 0;
  if (engines.includes('ours') && version !== 2) {
    log(`exporting int4 (models.export) to ${files.ours} …`);
    py(['-m', 'models.export', '--checkpoint', checkpoint, '--out', files.ours, '--dtype', 'int4', '--clip', path.join(base, 'clip')]);
  }
  if (engines.includes('llamacpp') && !existsSync(files.gguf)) {
    log(`writing the Q4_0 GGUF ${files.gguf} …`);
    py(['bench/decode_gguf.py', '--checkpoint', checkpoint, '--out', files.gguf]);
  }
  if (engines.includes('genai') && !existsSync(path.join(files.genai, 'genai_config.json'))) {
    log(`building onnxruntime-genai's int4 model ${files.genai} …`);
    py(['bench/decode_genai.py', 'build', '--checkpoint', checkpoint, '--out', files.genai, '--threads', String(os.cpus().length)]);
  }
  if (!existsSync(files.image)) {
    // 640×480 → a 2×2 grid: 577 + 548 visual rows + the question ≈ 1,140 prompt rows
    py(['-c', `from pathlib import Path; from models.rehearsal.measure import make_image; make_image(Path('${files.image}'), 640, 480)`]);
  }
  return files;
}

type Run = Record<string, number | string | number[]>;

/** A long-lived worker: one JSON line per `run`. */
class Worker {
  private readonly lines: AsyncIterator<string>;
  readonly name: string;
  private readonly child: ChildProcessWithoutNullStreams;
  constructor(name: string, child: ChildProcessWithoutNullStreams) {
    this.name = name;
    this.child = child;
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    child.stderr.on('data', () => undefined);
  }
  static start(name: string, cmd: string, args: string[]): Worker {
    return new Worker(name, spawn(cmd, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] }));
  }
  async next(): Promise<Run> {
    for (;;) {
      const r = await this.lines.next();
      if (r.done) throw new Error(`the ${this.name} worker stopped`);
      if (r.value.startsWith('{')) return JSON.parse(r.value) as Run;
    }
  }
  async run(): Promise<Run> {
    this.child.stdin.write('run\n');
    return this.next();
  }
  stop(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Deterministic ids from the ordinary vocabulary (no special tokens), the length of our prompt. */
function promptFile(rows: number): string {
  const file = path.join(base, `prompt-${rows}.json`);
  const ids = Array.from({ length: rows }, (_, i) => 1000 + ((i * 7919 + 104729) % 120000));
  writeFileSync(file, JSON.stringify(ids));
  return file;
}

async function startWorkers(f: ReturnType<typeof prepare>): Promise<{ workers: Worker[]; rows: number; ready: Run[] }> {
  const workers: Worker[] = [];
  const ready: Run[] = [];
  let rows = 1140;
  if (engines.includes('ours')) {
    const w = Worker.start('ours', NODE, ['bench/decode_ours.ts', '--model', f.ours, '--image', f.image, '--tokens', String(tokens)]);
    const r = await w.next();
    rows = Number(r.prompt);
    workers.push(w);
    ready.push(r);
  }
  const prompt = promptFile(rows);
  if (engines.includes('llamacpp')) {
    workers.push(
      Worker.start('llamacpp', NODE, ['bench/decode_llamacpp.ts', '--gguf', f.gguf, '--prompt', prompt, '--tokens', String(tokens)]),
    );
  }
  if (engines.includes('genai')) {
    workers.push(
      Worker.start('genai', PYTHON, ['bench/decode_genai.py', 'serve', '--model', f.genai, '--prompt', prompt, '--tokens', String(tokens)]),
    );
  }
  for (const w of workers.slice(engines.includes('ours') ? 1 : 0)) ready.push(await w.next());
  for (const w of workers) await w.run(); // warm-up run of every engine, not timed
  return { workers, rows, ready };
}

async function main(): Promise<void> {
  const f = prepare();
  log(`starting ${engines.join(', ')} on ${base} …`);
  const { workers, rows, ready } = await startWorkers(f);
  const runs: Record<string, Run[]> = Object.fromEntries(workers.map((w) => [w.name, []]));
  for (let r = 0; r < rounds; r++) {
    // rotate the order each round so no engine always runs right after another's burst
    for (let k = 0; k < workers.length; k++) {
      const w = workers[(r + k) % workers.length]!;
      runs[w.name]!.push(await w.run());
      await pause(300);
    }
    log(
      `  round ${r + 1}/${rounds}: ${workers.map((w) => `${w.name} ${Number(runs[w.name]!.at(-1)!.decode_tok_s).toFixed(1)} tok/s`).join(', ')}`,
    );
  }
  for (const w of workers) w.stop();
  const bw = JSON.parse(py(['bench/decode_bandwidth.py', '--checkpoint', f.checkpoint, '--rows', String(rows + tokens / 2)])) as {
    bandwidth_gb_s: Record<string, number>;
    step_bytes: { total: number };
  };
  report(runs, rows, ready, bw);
}

function report(
  runs: Record<string, Run[]>,
  rows: number,
  ready: Run[],
  bw: { bandwidth_gb_s: Record<string, number>; step_bytes: { total: number } },
): void {
  const med = (name: string, key: string): number => median((runs[name] ?? []).map((x) => Number(x[key])));
  const ratio = (key: string, other: string): number | null =>
    runs.ours && runs[other] ? median(runs.ours.map((x, i) => Number(x[key]) / Number(runs[other]![i]![key]))) : null;
  const bestBw = Math.max(...Object.values(bw.bandwidth_gb_s));
  const bound = (bestBw * 1e9) / bw.step_bytes.total;
  const result = {
    decode_ratio_vs_llamacpp: ratio('decode_tok_s', 'llamacpp'),
    decode_ratio_vs_genai: ratio('decode_tok_s', 'genai'),
    prefill_ratio_vs_llamacpp: ratio('prefill_tok_s', 'llamacpp'),
    prefill_ratio_vs_genai: ratio('prefill_tok_s', 'genai'),
    decode_share_of_bandwidth_bound: runs.ours ? med('ours', 'decode_tok_s') / bound : null,
    peak_rss_mb: runs.ours ? Math.max(...runs.ours.map((x) => Number(x.peak_rss_mb))) : null,
    tok_s: Object.fromEntries(Object.keys(runs).map((n) => [n, { prefill: med(n, 'prefill_tok_s'), decode: med(n, 'decode_tok_s') }])),
    details: {
      shape: values.shape,
      prompt_rows: rows,
      tokens,
      rounds,
      bandwidth_gb_s: bw.bandwidth_gb_s,
      step_bytes: bw.step_bytes,
      bound_tok_s: bound,
      peak_rss_mb: Object.fromEntries(Object.keys(runs).map((n) => [n, Math.max(...runs[n]!.map((x) => Number(x.peak_rss_mb)))])),
      generated: Object.fromEntries(Object.keys(runs).map((n) => [n, runs[n]!.map((x) => x.generated)])),
      ready,
      machine: `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, load average ${os.loadavg()[0]!.toFixed(1)}`,
    },
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const fmt = (x: number | null, d = 2): string => (x === null ? '—' : x.toFixed(d));
  for (const [n, t] of Object.entries(result.tok_s))
    log(`${n.padEnd(9)} prefill ${fmt(t.prefill, 1)} tok/s, decode ${fmt(t.decode, 1)} tok/s`);
  log(
    `decode  ratio vs llama.cpp ${fmt(result.decode_ratio_vs_llamacpp)} (target ≥ 1.2), vs genai ${fmt(result.decode_ratio_vs_genai)} (target ≥ 1.0)`,
  );
  log(
    `prefill ratio vs llama.cpp ${fmt(result.prefill_ratio_vs_llamacpp)} (target ≥ 0.8), vs genai ${fmt(result.prefill_ratio_vs_genai)} (target ≥ 1.0)`,
  );
  log(
    `bandwidth ${fmt(bw.bandwidth_gb_s['1']!, 1)} / ${fmt(bw.bandwidth_gb_s['2']!, 1)} GB/s (1/2 threads); step reads ${(bw.step_bytes.total / 1e6).toFixed(0)} MB → bound ${bound.toFixed(1)} tok/s; ours at ${fmt((result.decode_share_of_bandwidth_bound ?? NaN) * 100, 1)} % (target ≥ 50 %)`,
  );
  log(`peak RSS (our engine's process) ${fmt(result.peak_rss_mb, 0)} MB; ${result.details.machine}`);
}

await main();
