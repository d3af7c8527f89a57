// bench:decode worker (plain Node): llama.cpp through node-llama-cpp 3.21.1 (prebuilt CPU binary, never built or
// downloaded here) on a Q4_0 GGUF. Prints a ready line, then answers each `run` line on stdin with one JSON line.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { getLlama, LlamaLogLevel, type Token } from 'node-llama-cpp';

const { values } = parseArgs({
  options: { gguf: { type: 'string' }, prompt: { type: 'string' }, tokens: { type: 'string', default: '64' } },
});
if (!values.gguf || !values.prompt) throw new Error('usage: decode_llamacpp.ts --gguf FILE --prompt IDS.json');
const prompt = JSON.parse(readFileSync(values.prompt, 'utf8')) as Token[];
const steps = Number(values.tokens);
const threads = os.cpus().length;

function peakRssMb(): number {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  return line ? Number(line.split(/\s+/)[1]) / 1024 : 0;
}

// build 'never': a missing or unusable prebuilt binary fails here instead of compiling llama.cpp.
const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: values.gguf });
const context = await model.createContext({
  contextSize: prompt.length + steps + 16,
  batchSize: prompt.length,
  threads: { ideal: threads, min: threads },
});
const sequence = context.getSequence();

/** One cold request: prefill the prompt, then `steps` greedy tokens; times the first token and the rest. */
async function once(): Promise<Record<string, unknown>> {
  await sequence.clearHistory();
  const t0 = performance.now();
  let first = 0;
  const out: number[] = [];
  for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
    if (out.length === 0) first = performance.now();
    out.push(token);
    if (out.length >= steps) break;
  }
  const end = performance.now();
  return {
    ttft_ms: first - t0,
    prefill_tok_s: prompt.length / ((first - t0) / 1e3),
    decode_tok_s: (out.length - 1) / ((end - first) / 1e3),
    generated: out.length,
    tokens: out.slice(0, 8),
    peak_rss_mb: peakRssMb(),
  };
}

process.stdout.write(`${JSON.stringify({ ready: true, threads, gpu: llama.gpu, prompt: prompt.length })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== 'run') break;
  process.stdout.write(`${JSON.stringify(await once())}\n`);
}
await context.dispose();
await model.dispose();
