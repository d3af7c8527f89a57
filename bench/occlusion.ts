// Benchmark (plain Node, `node bench/occlusion.ts [--json] [--rounds 7]`): the time for a full per-tile occlusion map
// of a 6-tile image (3×2 grid) with SliME-Nano and with the slime-tiny fixture model, as ratios to one plain ask of
// the same question in the same round. Each round runs, in alternating order: a cold ask (caches reset) and a cold
// occlusion map (caches reset: encode + every group); then the app's path — an ask followed by the occlusion map of
// its answer (features cached, job KV cache empty) — whose occlusion part is timed. Ratios are per round, medians
// reported, so background load hits both sides alike.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../electron/inference/engine.ts';
import type { OcclusionResult } from '../electron/shared/ipc/inference.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { json: { type: 'boolean' }, rounds: { type: 'string', default: '7' }, granularity: { type: 'string', default: 'tile' } },
});
const rounds = Math.max(1, Number(values.rounds));
const granularity = values.granularity === 'block' ? 'block' : 'tile';
const log = (s: string): void => void (values.json ? process.stderr : process.stdout).write(`${s}\n`);

/** The two models, each with a 6-tile image (3×2) and a question about it. */
const CASES = [
  {
    name: 'SliME-Nano',
    modelDir: path.join(ROOT, 'models', 'nano'),
    image: path.join(ROOT, 'models', 'nano', 'samples', '05-glyph.png'),
    question: 'What is written on the red square?',
  },
  {
    name: 'slime-tiny fixture',
    modelDir: path.join(ROOT, 'test', 'fixtures', 'slime-tiny'),
    image: path.join(ROOT, 'test', 'fixtures', 'slime-tiny', 'images', 'wide.png'),
    question: 'What color is the small square?',
    maxNewTokens: 8,
  },
];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const live = (): AbortSignal => new AbortController().signal;
const none = (): void => undefined;

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
}

async function benchCase(c: (typeof CASES)[number]) {
  const engine = new Engine();
  await engine.load({ modelDir: c.modelDir, providers: ['cpu'], warmup: true });
  const askArgs = { image: { path: c.image }, question: c.question, sampling: c.maxNewTokens ? { maxNewTokens: c.maxNewTokens } : {} };
  const ask = (id: string) => engine.ask({ requestId: id, ...askArgs }, live(), none);
  const first = await ask('warm');
  if (first.inspection.grid.tiles !== 6) throw new Error(`${c.image}: ${first.inspection.grid.tiles} tiles, expected 6`);
  const occlude = (id: string, tokenIds: number[]) =>
    engine.occlusion({ requestId: id, image: { path: c.image }, question: c.question, tokenIds, granularity }, live(), none);
  await occlude('warm-occ', first.tokenIds);
  const rows: { ask: number; cold: number; afterAsk: number }[] = [];
  let last: OcclusionResult | null = null;
  for (let r = 0; r < rounds; r++) {
    const one = { ask: 0, cold: 0, afterAsk: 0 };
    const coldAsk = async () => {
      engine.resetCaches();
      one.ask = (await timed(() => ask(`a${r}`)))[0];
    };
    const coldOcc = async () => {
      engine.resetCaches();
      [one.cold, last] = await timed(() => occlude(`o${r}`, first.tokenIds));
    };
    for (const step of r % 2 ? [coldOcc, coldAsk] : [coldAsk, coldOcc]) await step();
    engine.resetCaches();
    const answered = await ask(`p${r}`);
    one.afterAsk = (await timed(() => occlude(`q${r}`, answered.tokenIds)))[0];
    rows.push(one);
  }
  await engine.unload();
  const o = last!;
  return {
    model: c.name,
    image: path.relative(ROOT, c.image),
    grid: `${first.inspection.grid.cols}×${first.inspection.grid.rows}`,
    keptLocal: o.baseline.keptLocal,
    localBefore: first.inspection.tokens.localBefore,
    answerTokens: o.baseline.answerTokens,
    groups: o.groups.length,
    rowsReused: o.rows.reused,
    rowsComputed: o.rows.computed,
    askMs: median(rows.map((x) => x.ask)),
    coldOcclusionMs: median(rows.map((x) => x.cold)),
    afterAskOcclusionMs: median(rows.map((x) => x.afterAsk)),
    coldRatio: median(rows.map((x) => x.cold / x.ask)),
    afterAskRatio: median(rows.map((x) => x.afterAsk / x.ask)),
    rounds,
  };
}

const results: Awaited<ReturnType<typeof benchCase>>[] = [];
for (const c of CASES) {
  const r = await benchCase(c);
  results.push(r);
  log(
    `${r.model} (${r.image}, ${r.grid} tiles, ${r.keptLocal}/${r.localBefore} kept, answer ${r.answerTokens} tokens, ${r.groups} groups; ` +
      `rows reused/computed ${r.rowsReused}/${r.rowsComputed}): plain ask ${r.askMs.toFixed(1)} ms; occlusion map cold ` +
      `${r.coldOcclusionMs.toFixed(1)} ms = ${r.coldRatio.toFixed(2)}× an ask; after the ask ${r.afterAskOcclusionMs.toFixed(1)} ms = ` +
      `${r.afterAskRatio.toFixed(2)}× (medians of ${r.rounds} rounds, granularity ${granularity})`,
  );
}
if (values.json) process.stdout.write(`${JSON.stringify({ granularity, results }, null, 1)}\n`);
