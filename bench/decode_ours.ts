// bench:decode worker (plain Node): this app's engine (electron/inference/engine.ts, the inference process's code
// path) answering about an image whose prompt is ~1,140 rows. Ready line, then one JSON line per `run` on stdin.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Engine } from '../electron/inference/engine.ts';
import type { AskResult } from '../electron/shared/ipc/inference.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    image: { type: 'string' },
    question: { type: 'string', default: 'What is in the picture?' },
    tokens: { type: 'string', default: '64' },
  },
});
if (!values.model || !values.image) throw new Error('usage: decode_ours.ts --model DIR --image FILE');
const steps = Number(values.tokens);

function peakRssMb(): number {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  return line ? Number(line.split(/\s+/)[1]) / 1024 : 0;
}

const engine = new Engine();
const t0 = performance.now();
await engine.load({ modelDir: values.model, warmup: true });
const loadMs = performance.now() - t0;

/** One cold request (caches reset): the decoder prefill and the greedy steps after the first token. */
async function once(i: number): Promise<Record<string, unknown>> {
  engine.resetCaches();
  const r: AskResult = await engine.ask(
    {
      requestId: `decode-${i}`,
      image: { path: values.image },
      question: values.question,
      sampling: { maxNewTokens: steps, temperature: 0 },
    },
    new AbortController().signal,
    () => undefined,
  );
  const t = r.inspection.timings;
  const generated = r.inspection.tokens.generated;
  const decodeSteps = generated - (r.inspection.stopReason === 'eos' ? 0 : 1);
  return {
    ttft_ms: t.ttft,
    prefill_ms: t.prefill,
    prefill_rows: r.inspection.tokens.prefill,
    prefill_tok_s: r.inspection.tokens.prefill / (t.prefill / 1e3),
    decode_tok_s: decodeSteps / ((t.generate + t.sample + t.detokenize) / 1e3),
    generated,
    stop: r.inspection.stopReason,
    tokens: r.tokenIds.slice(0, 8),
    peak_rss_mb: peakRssMb(),
  };
}

const warm = await once(-1);
process.stdout.write(
  `${JSON.stringify({ ready: true, load_ms: loadMs, prompt: warm.prefill_rows, dtype: engine.status().model?.dtype })}\n`,
);
let n = 0;
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== 'run') break;
  process.stdout.write(`${JSON.stringify(await once(n++))}\n`);
}
await engine.unload();
