// Benchmark (plain Node, `npm run bench:mine [-- --json] [--images 8]`): ask-a-folder throughput with SliME-Nano —
// answers only and with every signal (detail score, sweep, embedding, OOD) — against calling `slime ask` once per
// pair on the same images and questions, in one run; peak RSS of this process (job runner + database worker thread)
// and of the inference process. The `ray` key is the hook for `python -m models.mine` with 1 and 2 workers (ray16).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Supervisor } from '../electron/shared/process/supervisor.ts';
import { ContractClient } from '../electron/shared/process/client.ts';
import { inferenceProcessContract } from '../electron/shared/ipc/inferenceProcess.ts';
import { miningSettingsSchema } from '../electron/shared/ipc/mining.ts';
import { startDatasetWorker } from '../electron/node/datasetWorker.ts';
import { forkSpawner } from '../electron/node/forkChild.ts';
import { DEFAULT_MODEL_DIR, INFERENCE_ENTRY, REPO_ROOT } from '../electron/node/paths.ts';
import { createMiningService } from '../electron/node/mining/miningService.ts';
import { inferenceSweeper } from '../electron/node/mining/pairWork.ts';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, images: { type: 'string' } } });
const IMAGES = Number(values.images ?? 8);
const QUESTIONS = ['What colour is the circle?', 'How many shapes are there?', 'What is written on the red square?'];
const SCENES = path.join(REPO_ROOT, 'test', 'fixtures', 'mining', 'scenes');

/** Peak resident set (MB) of a process from /proc (Linux), null elsewhere. */
function peakRssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return status ? Math.round(Number(status[1]) / 1024) : null;
}

async function askFolder(folder: string, signals: boolean): Promise<{ seconds: number; mainRssMb: number; inferenceRssMb: number | null }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slime-bench-mine-'));
  const worker = startDatasetWorker({ dataDir: dir });
  const inference = new Supervisor({ name: 'inference', spawn: forkSpawner(INFERENCE_ENTRY) });
  const client = new ContractClient(inferenceProcessContract, inference);
  const mining = createMiningService({
    db: worker.client,
    inference: client,
    timeoutMs: 600_000,
    sweep: inferenceSweeper(client, 600_000),
    emit: () => {},
    defaultModelDir: DEFAULT_MODEL_DIR,
  });
  const settings = miningSettingsSchema.parse({
    questions: QUESTIONS,
    signals: { detail: signals, stability: signals, embedding: signals },
  });
  const t = performance.now();
  const job = await mining.askFolder({ folder, settings });
  const end = await mining.wait(job.id);
  const seconds = (performance.now() - t) / 1000;
  if (end?.state !== 'done' || end.pairs.failed > 0)
    throw new Error(`ask-folder ended ${end?.state} with ${end?.pairs.failed} failed pairs`);
  const inferenceRssMb = peakRssMb(inference.pid);
  await inference.stop();
  await worker.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  return { seconds, mainRssMb: peakRssMb(process.pid) ?? Math.round(process.resourceUsage().maxRSS / 1024), inferenceRssMb };
}

function slimeAskPerPair(files: string[]): number {
  const cli = path.join(REPO_ROOT, 'electron', 'cli', 'main.ts');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slime-bench-ask-'));
  const t = performance.now();
  for (const image of files)
    for (const question of QUESTIONS)
      execFileSync(process.execPath, [cli, 'ask', '--image', image, '--question', question, '--json', '--data-dir', dataDir], {
        stdio: 'ignore',
      });
  fs.rmSync(dataDir, { recursive: true, force: true });
  return (performance.now() - t) / 1000;
}

/**
 * `python -m models.mine --bench` (ray16) on the same folder and questions: a local Ray cluster with 1, then 2
 * workers (every signal, like `withSignals`); null when the Python environment (.venv with ray) is missing.
 */
function rayRows(folder: string): Record<string, unknown> | null {
  const python = path.join(REPO_ROOT, '.venv', 'bin', 'python');
  if (!fs.existsSync(python)) return null;
  const args = ['-m', 'models.mine', '--bench', folder, '--json', ...QUESTIONS.flatMap((q) => ['--question', q])];
  const out = execFileSync(python, args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
}

const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'slime-bench-folder-'));
const files = fs
  .readdirSync(SCENES)
  .filter((f) => f.endsWith('.png'))
  .slice(0, IMAGES)
  .map((f) => {
    fs.copyFileSync(path.join(SCENES, f), path.join(folder, f));
    return path.join(folder, f);
  });
const pairs = files.length * QUESTIONS.length;
const answersOnly = await askFolder(folder, false);
const perPairSeconds = slimeAskPerPair(files);
const withSignals = await askFolder(folder, true);
const row = (seconds: number): { seconds: number; imagesPerS: number; pairsPerS: number } => ({
  seconds: Number(seconds.toFixed(2)),
  imagesPerS: Number((files.length / seconds).toFixed(2)),
  pairsPerS: Number((pairs / seconds).toFixed(2)),
});
const result = {
  model: 'SliME-Nano',
  images: files.length,
  questions: QUESTIONS.length,
  pairs,
  askFolder: { answersOnly: row(answersOnly.seconds), withSignals: row(withSignals.seconds) },
  slimeAskPerPair: row(perPairSeconds),
  speedupAnswersOnly: Number((perPairSeconds / answersOnly.seconds).toFixed(2)),
  peakRssMb: { runner: Math.max(answersOnly.mainRssMb, withSignals.mainRssMb), inference: withSignals.inferenceRssMb },
  ray: rayRows(folder),
  loadAverage: Number(os.loadavg()[0]!.toFixed(2)),
};
fs.rmSync(folder, { recursive: true, force: true });
if (values.json) console.log(JSON.stringify(result));
else {
  console.log(
    `ask-folder, ${files.length} images × ${QUESTIONS.length} questions with ${result.model} (load average ${result.loadAverage}):`,
  );
  console.log(`  answers only   ${JSON.stringify(result.askFolder.answersOnly)}`);
  console.log(`  with signals   ${JSON.stringify(result.askFolder.withSignals)}`);
  console.log(`  slime ask × ${pairs} ${JSON.stringify(result.slimeAskPerPair)}`);
  console.log(`  speed-up of ask-folder (answers only) over slime ask per pair: ${result.speedupAnswersOnly}×`);
  console.log(
    `  peak RSS: runner ${result.peakRssMb.runner} MB, inference ${String(result.peakRssMb.inference)} MB; ray: ${JSON.stringify(result.ray)}`,
  );
}
