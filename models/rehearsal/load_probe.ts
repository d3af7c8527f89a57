// Rehearsal probe (plain Node): loads a model folder with the inference process's Engine and prints one JSON line
// with the load time and this process's resident memory after the load (current and peak, from /proc).
import { readFileSync } from 'node:fs';
import { Engine } from '../../electron/inference/engine.ts';

function statusMb(key: string): number {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${key}:`));
  return line ? Number(line.split(/\s+/)[1]) / 1024 : 0;
}

const modelDir = process.argv[2];
if (!modelDir) throw new Error('usage: node models/rehearsal/load_probe.ts MODEL_DIR');
const before = statusMb('VmRSS');
const engine = new Engine();
const t0 = performance.now();
const status = await engine.load({ modelDir });
const loadMs = performance.now() - t0;
process.stdout.write(
  `${JSON.stringify({
    load_ms: Math.round(loadMs),
    rss_before_mb: Math.round(before),
    rss_after_load_mb: Math.round(statusMb('VmRSS')),
    peak_rss_mb: Math.round(statusMb('VmHWM')),
    dtype: status.model?.dtype ?? null,
    providers: status.providers.map((p) => `${p.graph}:${p.provider}`),
  })}\n`,
);
await engine.unload();
