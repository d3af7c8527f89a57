// Benchmark (plain Node, `node bench/vecsearch.ts [--json] [--n 100000] [--sqlite-vec PATH/TO/sqlite-vec/index.mjs]`):
// "similar images" at 100k stored embeddings (256-d, SliME-Nano's width) — the top-10 query through the real query
// code (database/queries/miningVectors.ts: brute-force scan over an in-memory matrix, WebAssembly SIMD), p50/p95 over
// 200 queries, the one-time index load, and the worker's RSS. Anchor in the same run: the same index's scan alone,
// SIMD vs plain JavaScript, interleaved query by query (ratio of medians). With --sqlite-vec, the same queries through
// a sqlite-vec `vec0` table in the same run (the extension is not a dependency; point the flag at an installed copy).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../database/connection.ts';
import { similarImages, storeEmbedding } from '../database/queries/miningVectors.ts';
import { VectorIndex } from '../database/queries/vectorIndex.ts';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, n: { type: 'string' }, 'sqlite-vec': { type: 'string' } } });
const N = Number(values.n ?? 100_000);
const DIM = 256;
const QUERIES = 200;
const MODEL = 'bench-model';

let seed = 7;
const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const shaOf = (i: number): string => i.toString(16).padStart(64, '0');

function unitVector(): number[] {
  const v = Array.from({ length: DIM }, () => random() - 0.5);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slime-vec-'));
const { db } = openDatabase(path.join(dir, 'dataset.sqlite'));
const vectors: number[][] = [];
let t = performance.now();
db.transaction(() => {
  const image = db.prepare(
    "INSERT INTO images (sha256, width, height, format, ext, bytes, phash, created_at) VALUES (?, 8, 8, 'png', 'png', 1, '0000000000000000', 0)",
  );
  for (let i = 0; i < N; i++) {
    image.run(shaOf(i));
    const v = unitVector();
    vectors.push(v);
    storeEmbedding(db, shaOf(i), MODEL, v, i);
  }
})();
const insertS = (performance.now() - t) / 1000;

t = performance.now();
similarImages(db, shaOf(0), 10);
const loadMs = performance.now() - t;
const ours: number[] = [];
const queries = Array.from({ length: QUERIES }, () => Math.floor(random() * N));
for (const q of queries) {
  t = performance.now();
  similarImages(db, shaOf(q), 10);
  ours.push(performance.now() - t);
}

// Anchor: the scan alone, SIMD vs JavaScript, interleaved on the same vectors and queries.
const simdIndex = new VectorIndex(DIM);
const jsIndex = new VectorIndex(DIM, { simd: false });
vectors.forEach((v, i) => {
  const f = Float32Array.from(v);
  simdIndex.set(shaOf(i), f);
  jsIndex.set(shaOf(i), f);
});
const scanSimd: number[] = [];
const scanJs: number[] = [];
for (const q of queries) {
  const query = Float32Array.from(vectors[q]!);
  t = performance.now();
  simdIndex.search(query, 10, shaOf(q));
  scanSimd.push(performance.now() - t);
  t = performance.now();
  jsIndex.search(query, 10, shaOf(q));
  scanJs.push(performance.now() - t);
}

const result: Record<string, unknown> = {
  n: N,
  dim: DIM,
  insertSeconds: Number(insertS.toFixed(2)),
  bruteForce: {
    indexLoadMs: Number(loadMs.toFixed(1)),
    p50Ms: Number(percentile(ours, 50).toFixed(2)),
    p95Ms: Number(percentile(ours, 95).toFixed(2)),
  },
  targetP95Ms: 50,
  scan: {
    simdP50Ms: Number(percentile(scanSimd, 50).toFixed(2)),
    jsP50Ms: Number(percentile(scanJs, 50).toFixed(2)),
    jsOverSimdP50: Number((percentile(scanJs, 50) / percentile(scanSimd, 50)).toFixed(2)),
  },
  loadAverage: os.loadavg()[0]!.toFixed(1),
  rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
};

if (values['sqlite-vec']) {
  const vec = (await import(path.resolve(values['sqlite-vec']))) as { load(db: unknown): void };
  vec.load(db);
  db.exec(`CREATE VIRTUAL TABLE vec_bench USING vec0(e float[${DIM}])`);
  const ins = db.prepare('INSERT INTO vec_bench (rowid, e) VALUES (?, ?)');
  db.transaction(() => vectors.forEach((v, i) => ins.run(BigInt(i + 1), Float32Array.from(v))))();
  const knn = db.prepare('SELECT rowid, distance FROM vec_bench WHERE e MATCH ? AND k = 11 ORDER BY distance');
  const times: number[] = [];
  for (const q of queries) {
    t = performance.now();
    knn.all(Float32Array.from(vectors[q]!));
    times.push(performance.now() - t);
  }
  result.sqliteVec = { p50Ms: Number(percentile(times, 50).toFixed(2)), p95Ms: Number(percentile(times, 95).toFixed(2)) };
  result.ratioP95 = Number((percentile(times, 95) / percentile(ours, 95)).toFixed(2));
}
db.close();
fs.rmSync(dir, { recursive: true, force: true });

if (values.json) console.log(JSON.stringify(result));
else {
  const b = result.bruteForce as { indexLoadMs: number; p50Ms: number; p95Ms: number };
  console.log(
    `similar images, ${N} × ${DIM}: brute force top-10 p50 ${b.p50Ms} ms, p95 ${b.p95Ms} ms (target ≤ 50), index load ${b.indexLoadMs} ms`,
  );
  if (result.sqliteVec)
    console.log(`sqlite-vec vec0: ${JSON.stringify(result.sqliteVec)}, p95 ratio sqlite-vec / ours ${String(result.ratioP95)}`);
  const a = result.scan as { simdP50Ms: number; jsP50Ms: number; jsOverSimdP50: number };
  console.log(
    `scan alone p50: SIMD ${a.simdP50Ms} ms, JavaScript ${a.jsP50Ms} ms (×${a.jsOverSimdP50}); load average ${String(result.loadAverage)}`,
  );
  console.log(`rss ${String(result.rssMb)} MB, insert ${result.insertSeconds} s`);
}
