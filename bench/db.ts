// Benchmark (plain Node, `npm run bench:db [-- --json]`): the dataset worker with 100,000 examples — batched insert
// rate, FTS search and page query latency through the worker thread, and an export of 10,000 examples with images.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { startDatasetWorker, type DatasetWorker } from '../electron/node/datasetWorker.ts';
import type { NewExample } from '../electron/shared/ipc/dataset.ts';
import type { Result } from '../electron/shared/errors.ts';

const EXAMPLES = 100_000;
const BATCH = 1_000;
const IMAGES = 300;
const QUERIES = 200;
const EXPORT = 10_000;

let seed = 42;
const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'pa', 'qu', 'dr', 'gl', 'st', 'or', 'an', 'el', 'is'];
const VOCAB = Array.from(
  { length: 3000 },
  (_, i) => SYLLABLES[i % 18]! + SYLLABLES[Math.floor(i / 18) % 18]! + SYLLABLES[Math.floor(i / 324) % 18]!,
);
const COMMON = [
  'the',
  'dial',
  'reads',
  'left',
  'corner',
  'label',
  'shows',
  'small',
  'text',
  'red',
  'sign',
  'number',
  'bottom',
  'right',
  'near',
];

function sentence(words: number): string {
  return Array.from({ length: words }, () => (random() < 0.4 ? pick(COMMON) : pick(VOCAB))).join(' ');
}

function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function addImages(worker: DatasetWorker): Promise<string[]> {
  const shas: string[] = [];
  for (let i = 0; i < IMAGES; i++) {
    const png = await sharp({
      create: { width: 160, height: 120, channels: 3, background: { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 } },
    })
      .composite([
        { input: { create: { width: 24, height: 24, channels: 3, background: '#fff' } }, left: (i * 7) % 136, top: (i * 11) % 96 },
      ])
      .png()
      .toBuffer();
    shas.push(unwrap(await worker.client.call('addImage', new Uint8Array(png), `bench-${i}.png`)).sha256);
  }
  return shas;
}

function makeBatch(shas: string[], done: number): NewExample[] {
  return Array.from({ length: BATCH }, (_, k) => ({
    imageSha256: pick(shas),
    turns: Array.from({ length: 1 + ((done + k) % 3 === 0 ? 1 : 0) }, () => ({ question: `What ${sentence(8)}?`, answer: sentence(30) })),
    tags: done + k < EXPORT ? ['export-set', pick(['a', 'b', 'c'])] : [pick(['a', 'b', 'c'])],
    status: pick(['draft', 'needs-review', 'accepted', 'rejected'] as const),
  }));
}

/**
 * Inserts the examples in batches of 1,000 (one transaction each). The batches are made before the clock starts
 * (they are the caller's data, not the store's work); the next batch is sent while the worker commits the current
 * one, as a bulk importer would. Structured cloning to the worker is inside the measurement.
 */
async function insertAll(worker: DatasetWorker, shas: string[]): Promise<{ wall: number; cpu: number }> {
  const batches: NewExample[][] = [];
  for (let done = 0; done < EXAMPLES; done += BATCH) batches.push(makeBatch(shas, done));
  const started = performance.now();
  const c0 = process.cpuUsage();
  let inFlight: Promise<unknown> | undefined;
  for (const batch of batches) {
    const sent = worker.client.callWith('createExamples', [batch], { timeoutMs: 120_000 }).then(unwrap);
    if (inFlight) await inFlight;
    inFlight = sent;
  }
  await inFlight;
  const c = process.cpuUsage(c0);
  return { wall: EXAMPLES / ((performance.now() - started) / 1000), cpu: EXAMPLES / ((c.user + c.system) / 1e6) };
}

/** Wall and CPU milliseconds of each run (CPU = this process's user+system time, main and worker threads). */
async function timed(count: number, run: () => Promise<unknown>): Promise<{ wall: number[]; cpu: number[] }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < count; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall, cpu };
}

/** Random pages of 50 (any sort and order; 30% filtered to accepted examples): wall and CPU ms per page. */
async function timePages(worker: DatasetWorker): Promise<{ wall: number[]; cpu: number[] }> {
  const sorts = ['created', 'updated', 'detail', 'status'] as const;
  const accepted = unwrap(await worker.client.call('listExamples', { status: ['accepted'], limit: 1 })).total;
  return timed(QUERIES, async () => {
    const filtered = random() < 0.3;
    const offset = Math.floor(random() * ((filtered ? accepted : EXAMPLES) - 50));
    unwrap(
      await worker.client.call('listExamples', {
        sort: pick(sorts),
        order: random() < 0.5 ? 'asc' : 'desc',
        offset,
        limit: 50,
        ...(filtered ? { status: ['accepted' as const] } : {}),
      }),
    );
  });
}

/** Exports the 10k `export-set` examples as LLaVA JSON; wall and CPU seconds of this process. */
async function timeExport(worker: DatasetWorker, dir: string) {
  const out = path.join(dir, 'export');
  const e0 = performance.now();
  const ec0 = process.cpuUsage();
  const summary = unwrap(
    await worker.client.callWith('exportDataset', [{ format: 'llava', outDir: out, filter: { tags: ['export-set'] }, valFraction: 0.1 }], {
      timeoutMs: 600_000,
    }),
  );
  const exportS = (performance.now() - e0) / 1000;
  const ec = process.cpuUsage(ec0);
  return { summary, exportS, exportCpuS: (ec.user + ec.system) / 1e6 };
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slime-bench-db-'));
  const log = (line: string): void => {
    if (!json) console.log(line);
  };
  let worker = startDatasetWorker({ dataDir: dir, timeoutMs: 120_000 });
  try {
    const shas = await addImages(worker);
    log(`${IMAGES} images stored`);
    const insertPerS = await insertAll(worker, shas);
    log(`insert: ${Math.round(insertPerS.wall)} examples/s`);
    await worker.stop();
    const t0 = performance.now();
    worker = startDatasetWorker({ dataDir: dir, timeoutMs: 120_000 });
    unwrap(await worker.client.call('health'));
    const openMs = performance.now() - t0;
    const search = await timed(QUERIES, async () =>
      unwrap(await worker.client.call('listExamples', { search: `${pick(VOCAB)} ${pick(COMMON)}`, limit: 50 })),
    );
    const page = await timePages(worker);
    const { summary, exportS, exportCpuS } = await timeExport(worker, dir);
    if (summary.exported !== EXPORT) throw new Error(`exported ${summary.exported}, expected ${EXPORT}`);
    const result = {
      examples: EXAMPLES,
      images: IMAGES,
      insert_per_s: Math.round(insertPerS.wall),
      search_p50_ms: +percentile(search.wall, 50).toFixed(2),
      search_p95_ms: +percentile(search.wall, 95).toFixed(2),
      page_p50_ms: +percentile(page.wall, 50).toFixed(2),
      page_p95_ms: +percentile(page.wall, 95).toFixed(2),
      export_10k_s: +exportS.toFixed(2),
      // The same work per CPU-second / CPU-ms of this process: what it costs when the machine is not shared.
      insert_per_cpu_s: Math.round(insertPerS.cpu),
      search_p95_cpu_ms: +percentile(search.cpu, 95).toFixed(2),
      page_p95_cpu_ms: +percentile(page.cpu, 95).toFixed(2),
      export_10k_cpu_s: +exportCpuS.toFixed(2),
      open_with_integrity_check_ms: Math.round(openMs),
      export_images: summary.images,
      db_bytes: fs.statSync(path.join(dir, 'dataset.sqlite')).size,
      cpus: os.cpus().length,
      load_avg_1m: +os.loadavg()[0]!.toFixed(2),
    };
    if (json) console.log(JSON.stringify(result));
    else for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(30)} ${v}`);
  } finally {
    await worker.stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
