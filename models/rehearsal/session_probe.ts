// Rehearsal probe (plain Node): opens every graph of a model folder with onnxruntime-node under one set of session
// options (the ones electron/inference/sessions.ts uses, plus the variant named on the command line), prints one JSON
// line: load time, this process's resident memory after the load (/proc VmRSS, VmHWM) and the decoder's median
// single-token step time after a 256-row prefill. Run one process per variant (clean RSS):
//   node models/rehearsal/session_probe.ts MODEL_DIR [baseline|no-prepack|no-arena|device-alloc|no-arena+device-alloc]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';

const VARIANTS: Record<string, { arena?: boolean; session?: Record<string, string> }> = {
  baseline: {},
  'no-prepack': { session: { disable_prepacking: '1' } },
  'no-arena': { arena: false },
  'device-alloc': { session: { use_device_allocator_for_initializers: '1' } },
  'no-arena+device-alloc': { arena: false, session: { use_device_allocator_for_initializers: '1' } },
};

function statusMb(key: string): number {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${key}:`));
  return line ? Number(line.split(/\s+/)[1]) / 1024 : 0;
}

interface Spec {
  file: string;
}
const [dir, variantName = 'baseline'] = process.argv.slice(2);
if (!dir || !VARIANTS[variantName]) throw new Error(`usage: node session_probe.ts MODEL_DIR [${Object.keys(VARIANTS).join('|')}]`);
const variant = VARIANTS[variantName]!;
const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
  graphs: Record<string, Spec>;
  llm: { hidden: number; layers: number; kv_heads: number; head_dim: number };
};

const before = statusMb('VmRSS');
const t0 = performance.now();
const sessions: Record<string, InferenceSession> = {};
for (const [name, spec] of Object.entries(manifest.graphs)) {
  sessions[name] = await InferenceSession.create(path.join(dir, spec.file), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(variant.arena === undefined ? {} : { enableCpuMemArena: variant.arena }),
    extra: { session: { intra_op: { allow_spinning: '0' }, ...variant.session } },
  });
}
const loadMs = performance.now() - t0;
const rssAfterLoad = statusMb('VmRSS');

// Decoder: 256-row prefill, then 16 single-token steps; the median step time.
const { hidden, layers, kv_heads: kvh, head_dim: hd } = manifest.llm;
const capacity = 512;
const decoder = sessions.decoder!;
let past: Record<string, Tensor> = {};
for (let l = 0; l < layers; l++) {
  for (const kv of ['key', 'value']) past[`past_key_values.${l}.${kv}`] = new Tensor('float32', new Float32Array(kvh * capacity * hd), [1, kvh, capacity, hd]);
}
const embeds = (rows: number): Tensor => {
  const data = new Float32Array(rows * hidden);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37) * 0.02;
  return new Tensor('float32', data, [1, rows, hidden]);
};
const mask = (n: number): Tensor => new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);
async function step(rows: number, total: number): Promise<number> {
  const s = performance.now();
  const out = await decoder.run({ inputs_embeds: embeds(rows), attention_mask: mask(total), ...past });
  past = Object.fromEntries(Object.keys(past).map((k) => [k, out[k.replace('past_key_values', 'present')]!]));
  return performance.now() - s;
}
const prefillMs = await step(256, 256);
const steps: number[] = [];
for (let i = 1; i <= 16; i++) steps.push(await step(1, 256 + i));
steps.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    variant: variantName,
    load_ms: Math.round(loadMs),
    rss_before_mb: Math.round(before),
    rss_after_load_mb: Math.round(rssAfterLoad),
    rss_after_decode_mb: Math.round(statusMb('VmRSS')),
    peak_rss_mb: Math.round(statusMb('VmHWM')),
    prefill_256_ms: Math.round(prefillMs),
    decode_step_median_ms: Number(steps[8]!.toFixed(1)),
  })}\n`,
);
