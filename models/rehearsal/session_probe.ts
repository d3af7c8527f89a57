// Rehearsal probe (plain Node): opens every graph of a model folder with onnxruntime-node under one set of session
// options (the ones electron/inference/sessions.ts uses, plus the variant named on the command line), prints one JSON
// line: load time, this process's resident memory after the load (/proc VmRSS split into anonymous and file-backed
// pages, VmHWM) and the engine's per-token cost after a PREFILL-row prompt: embed_tokens for one id, then one decoder
// step on the engine's own in-place KV cache (electron/inference/kvCache.ts), medians of 24 steps.
// Run one process per variant (clean RSS); findings: models/rehearsal/SESSION_PROBE.md.
//   node models/rehearsal/session_probe.ts MODEL_DIR [VARIANT] [decode[:PREFILL]|load-only[:GRAPH]]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { KvCache } from '../../electron/inference/kvCache.ts';
import type { KvDtype } from '../../electron/shared/manifest.ts';

interface Variant {
  arena?: boolean;
  threads?: number;
  spin?: boolean;
  session?: Record<string, string>;
  level?: 'disabled' | 'basic' | 'extended' | 'all';
}
const VARIANTS: Record<string, Variant> = {
  baseline: {},
  spin: { spin: true },
  'no-prepack': { session: { disable_prepacking: '1' } },
  'no-arena': { arena: false },
  'device-alloc': { session: { use_device_allocator_for_initializers: '1' } },
  'no-arena+device-alloc': { arena: false, session: { use_device_allocator_for_initializers: '1' } },
  threads1: { threads: 1 },
  'opt-basic': { level: 'basic' },
  'opt-disabled': { level: 'disabled' },
};

function status(): Record<string, number> {
  const mb = (key: string): number => {
    const line = readFileSync('/proc/self/status', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${key}:`));
    return line ? Math.round(Number(line.split(/\s+/)[1]) / 1024) : 0;
  };
  return { rss_mb: mb('VmRSS'), anon_mb: mb('RssAnon'), file_mb: mb('RssFile'), peak_rss_mb: mb('VmHWM') };
}
const median = (xs: number[]): number => Number([...xs].sort((a, b) => a - b)[xs.length >> 1]!.toFixed(2));

const [dir, variantName = 'baseline', mode = 'decode'] = process.argv.slice(2);
if (!dir || !VARIANTS[variantName]) throw new Error(`usage: node session_probe.ts MODEL_DIR [${Object.keys(VARIANTS).join('|')}] [decode[:ROWS]|load-only[:GRAPH]]`);
const variant = VARIANTS[variantName]!;
const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
  graphs: Record<string, { file: string }>;
  llm: { hidden: number; layers: number; kv_heads: number; head_dim: number; kv_dtype: KvDtype };
};

const before = status();
const t0 = performance.now();
const sessions: Record<string, InferenceSession> = {};
// `load-only` opens every graph, `load-only:<graph>` that graph alone (its own RSS cost), `decode` the two it runs.
const only = mode.startsWith('load-only:')
  ? [mode.slice('load-only:'.length)]
  : mode.startsWith('decode')
    ? ['embed_tokens', 'decoder']
    : mode.startsWith('vision')
      ? ['vision_encoder']
      : null;
for (const [name, spec] of Object.entries(manifest.graphs)) {
  if (only && !only.includes(name)) continue;
  sessions[name] = await InferenceSession.create(path.join(dir, spec.file), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: variant.level ?? 'all',
    logSeverityLevel: 3,
    ...(variant.threads ? { intraOpNumThreads: variant.threads } : {}),
    ...(variant.arena === undefined ? {} : { enableCpuMemArena: variant.arena }),
    extra: { session: { intra_op: { allow_spinning: variant.spin ? '1' : '0' }, ...variant.session } },
  });
}
const head = { variant: variantName, mode, load_ms: Math.round(performance.now() - t0), before: before.rss_mb, after_load: status() };
if (mode.startsWith('load-only')) {
  process.stdout.write(`${JSON.stringify(head)}\n`);
  process.exit(0);
}
if (mode.startsWith('vision')) {
  // `vision[:VIEWS]`: the vision tower on VIEWS views (default 1), median of 3 runs after a warm-up.
  const views = Number(mode.split(':')[1] ?? 1);
  const S = (manifest as unknown as { vision: { image_size: number } }).vision.image_size;
  const pixels = new Tensor('float32', new Float32Array(views * 3 * S * S).map((_, i) => Math.sin(i * 0.01)), [views, 3, S, S]);
  const ms: number[] = [];
  for (let i = 0; i < 4; i++) {
    const t = performance.now();
    await sessions.vision_encoder!.run({ pixel_values: pixels });
    if (i > 0) ms.push(performance.now() - t);
  }
  process.stdout.write(`${JSON.stringify({ ...head, views, vision_ms: median(ms), after_run: status() })}\n`);
  process.exit(0);
}

// The engine's per-token work: embed one id, then one decoder step on the in-place cache after `rows` prompt rows.
const rows = Number(mode.split(':')[1] ?? 1024);
const { hidden, layers, kv_heads: kvHeads, head_dim: headDim, kv_dtype: dtype } = manifest.llm;
const kv = new KvCache({ layers, kvHeads, headDim, dtype });
async function decoderRun(embeds: Float32Array, n: number): Promise<void> {
  const total = kv.length + n;
  kv.reserve(total);
  const feeds: Record<string, Tensor> = {
    inputs_embeds: new Tensor('float32', embeds, [1, n, hidden]),
    attention_mask: new Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
  };
  const fetches: Record<string, Tensor | null> = { logits: null };
  kv.bind(feeds, fetches);
  await sessions.decoder!.run(feeds, fetches);
  kv.append(Array.from({ length: n }, (_, i) => `r${kv.length + i}`));
}
const prompt = new Float32Array(rows * hidden).map((_, i) => Math.sin(i * 0.37) * 0.02);
const tp = performance.now();
await decoderRun(prompt, rows);
const prefillMs = performance.now() - tp;
const embedMs: number[] = [];
const stepMs: number[] = [];
for (let i = 0; i < 24; i++) {
  const te = performance.now();
  const out = await sessions.embed_tokens!.run({ input_ids: new Tensor('int64', BigInt64Array.from([BigInt(1000 + i)]), [1, 1]) });
  embedMs.push(performance.now() - te);
  const ts = performance.now();
  await decoderRun(out.embeds!.data as Float32Array, 1);
  stepMs.push(performance.now() - ts);
}
const embed = median(embedMs);
const step = median(stepMs);
const line = { ...head, prompt_rows: rows, prefill_ms: Math.round(prefillMs), embed_ms: embed, decoder_step_ms: step, tok_s: Number((1000 / (embed + step)).toFixed(2)), after_decode: status() };
process.stdout.write(`${JSON.stringify(line)}\n`);
