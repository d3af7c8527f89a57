// Micro-benchmark (plain Node, `node bench/decode_loop.ts --model V2_DIR [--baseline V1_DIR] [--json]`): the engine's
// in-place KV decode loop against the per-step concat loop it replaced, after a long prompt, interleaved, medians.
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { loadModel, releaseModel, runEmbed, type LoadedModel } from '../electron/inference/model.ts';
import { emptyKv, generateLoop } from '../electron/inference/generate.ts';
import { argmax } from '../electron/inference/sample.ts';
import type { SessionSettings } from '../electron/inference/sessions.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    baseline: { type: 'string' },
    rows: { type: 'string', default: '1100' },
    tokens: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    sweep: { type: 'boolean' },
    json: { type: 'boolean' },
  },
});
if (!values.model) throw new Error('--model V2_DIR is required');
const ROWS = Number(values.rows);
const TOKENS = Number(values.tokens);
const threads = Number(values.threads);
const log = (s: string): void => void (values.json ? process.stderr : process.stdout).write(`${s}\n`);

/** One timed run: prefill rows/s and decode tokens/s (decode steps over decode time, sampling excluded). */
interface Run {
  prefill: number;
  decode: number;
  tokens: number[];
  /** Milliseconds between consecutive tokens (one decoder step, its embedding and the argmax). */
  steps: number[];
}

/** Milliseconds between consecutive timestamps. */
const gaps = (ts: number[]): number[] => ts.slice(1).map((t, i) => t - ts[i]!);

/** A decode loop under test. */
type Loop = () => Promise<Run>;

const prompt = Array.from({ length: ROWS }, (_, i) => 6 + ((i * 37 + 11) % 300));

/** The engine's loop (generate.ts on a KvCache) on `model`. */
function inPlace(model: LoadedModel, embeds: Float32Array): Loop {
  return async () => {
    const stamps: number[] = [];
    const r = await generateLoop(
      model,
      emptyKv(model),
      embeds,
      prompt.map((i) => `t${i}`),
      {
        maxNewTokens: TOKENS,
        stopIds: new Set<number>(),
        signal: new AbortController().signal,
        pick: (l) => argmax(l),
        onToken: () => void stamps.push(performance.now()),
        contextLimit: Infinity,
      },
    );
    const decode = (TOKENS - 1) / (r.decodeMs / 1e3);
    return { prefill: ROWS / (r.prefillMs / 1e3), decode, tokens: r.tokens, steps: gaps(stamps) };
  };
}

/**
 * The loop this engine had before manifest v2: every step feeds the last presents back as the pasts (the graph copies
 * them into a new present, JS receives a copy), a fresh attention mask (and position ids when the graph takes them).
 */
function concat(session: InferenceSession, model: LoadedModel, embeds: Float32Array): Loop {
  const { hidden: H, layers, kv_heads: kvH, head_dim: hd } = model.manifest.llm;
  const positions = session.inputNames.includes('position_ids');
  return async () => {
    let past: Record<string, Tensor> = {};
    for (let l = 0; l < layers; l++)
      for (const kind of ['key', 'value'])
        past[`past_key_values.${l}.${kind}`] = new Tensor('float32', new Float32Array(0), [1, kvH, 0, hd]);
    let total = 0;
    const step = async (e: Float32Array): Promise<Float32Array> => {
      const S = e.length / H;
      const feeds: Record<string, Tensor> = {
        inputs_embeds: new Tensor('float32', e, [1, S, H]),
        attention_mask: new Tensor('int64', new BigInt64Array(total + S).fill(1n), [1, total + S]),
        ...past,
      };
      if (positions)
        feeds.position_ids = new Tensor(
          'int64',
          BigInt64Array.from({ length: S }, (_, i) => BigInt(total + i)),
          [1, S],
        );
      const out = await session.run(feeds);
      past = Object.fromEntries(Object.keys(past).map((n) => [n, out[n.replace('past_key_values', 'present')]!]));
      total += S;
      return out.logits!.data as Float32Array;
    };
    let t = performance.now();
    let logits = await step(embeds);
    const prefillMs = performance.now() - t;
    const tokens: number[] = [];
    const stamps: number[] = [];
    t = performance.now();
    for (;;) {
      const id = argmax(logits);
      tokens.push(id);
      stamps.push(performance.now());
      if (tokens.length >= TOKENS) break;
      logits = await step(await runEmbed(model, [id]));
    }
    const decode = (TOKENS - 1) / ((performance.now() - t) / 1e3);
    return { prefill: ROWS / (prefillMs / 1e3), decode, tokens, steps: gaps(stamps) };
  };
}

const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * q)]!;
const median = (xs: number[]): number => quantile(xs, 0.5);

/** Session variants: the engine's defaults, plus (with --sweep) spinning, no memory arena, extended optimisation. */
function variants(): [string, SessionSettings][] {
  const base: SessionSettings = { providers: ['cpu'], intraOpThreads: threads };
  const out: [string, SessionSettings][] = [['default', base]];
  if (values.sweep)
    out.push(
      ['spinning', { ...base, spinning: true }],
      ['no-mem-arena', { ...base, cpuMemArena: false }],
      ['opt-extended', { ...base, graphOptimization: 'extended' }],
    );
  return out;
}

const models: LoadedModel[] = [];
const loops: [string, Loop][] = [];
for (const [name, settings] of variants()) {
  const m = await loadModel(path.resolve(values.model), settings);
  models.push(m);
  const embeds = await runEmbed(m, prompt);
  loops.push([`in-place ${name}`, inPlace(m, embeds)]);
  if (name === 'default') loops.push(['concat (v2 graph)', concat(m.sessions.decoder, m, embeds)]);
}
const base = models[0]!;
if (values.baseline) {
  const v1 = await InferenceSession.create(path.join(path.resolve(values.baseline), 'decoder.onnx'), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  loops.push(['concat (v1 graph, old engine)', concat(v1, base, await runEmbed(base, prompt))]);
}

const runs = new Map<string, Run[]>(loops.map(([n]) => [n, []]));
for (const [, loop] of loops) await loop(); // warm-up
const rounds = Number(values.rounds);
for (let r = 0; r < rounds; r++) {
  // Rotate the order each round so drifting background load hits every loop alike.
  for (let k = 0; k < loops.length; k++) {
    const [name, loop] = loops[(k + r) % loops.length]!;
    runs.get(name)!.push(await loop());
  }
  log(`round ${r + 1}/${rounds}: ${[...runs].map(([n, rs]) => `${n} ${rs.at(-1)!.decode.toFixed(1)}`).join(', ')} tok/s`);
}
const result = Object.fromEntries(
  [...runs].map(([n, rs]) => [
    n,
    {
      decode_tok_s: median(rs.map((x) => x.decode)),
      best_decode_tok_s: Math.max(...rs.map((x) => x.decode)),
      step_ms_min: Math.min(...rs.flatMap((x) => x.steps)),
      step_ms_p10: quantile(
        rs.flatMap((x) => x.steps),
        0.1,
      ),
      prefill_rows_s: median(rs.map((x) => x.prefill)),
    },
  ]),
);
// Per-round ratios (in-place over each other loop, same round): robust to load that drifts between rounds.
const mine = runs.get('in-place default')!;
const ratios = Object.fromEntries(
  [...runs]
    .filter(([n]) => n !== 'in-place default')
    .map(([n, rs]) => [`in_place_over_${n.replace(/\W+/g, '_').replace(/_$/, '')}`, median(rs.map((x, i) => mine[i]!.decode / x.decode))]),
);
// Loops on the same graph must agree token for token (the v1 graph is another export, so it is not compared).
const v2 = [...runs].filter(([n]) => !n.includes('v1')).map(([, rs]) => JSON.stringify(rs[0]!.tokens));
const same = v2.every((t) => t === v2[0]);
const meta = {
  decode_ratios: ratios,
  rows: ROWS,
  tokens: TOKENS,
  rounds,
  threads,
  model: values.model,
  same_tokens: same,
  load: os.loadavg()[0],
};
if (values.json) process.stdout.write(`${JSON.stringify({ ...meta, result })}\n`);
else {
  for (const [n, r] of Object.entries(result))
    log(
      `${n.padEnd(32)} decode ${r.decode_tok_s.toFixed(1).padStart(7)} tok/s (best ${r.best_decode_tok_s.toFixed(1)}; step min/p10 ${r.step_ms_min.toFixed(2)}/${r.step_ms_p10.toFixed(2)} ms)   prefill ${r.prefill_rows_s.toFixed(0).padStart(6)} rows/s`,
    );
  log(`greedy tokens identical across loops: ${same}; ${JSON.stringify(meta)}`);
}
for (const m of models) await releaseModel(m);
