// CLI (plain Node): `slime dataset ask-folder` and `slime dataset jobs` — hard-example mining over the same mining
// service as the app (its own database worker on the dataset file and its own inference process).
import path from 'node:path';
import type { ParseArgsOptionsConfig } from 'node:util';
import type { CliContext } from '../command.ts';
import { AppFailure } from '../../shared/errors.ts';
import { Supervisor } from '../../shared/process/supervisor.ts';
import { ContractClient } from '../../shared/process/client.ts';
import { inferenceProcessContract } from '../../shared/ipc/inferenceProcess.ts';
import { miningSettingsSchema, type MiningJob, type MiningProgress } from '../../shared/ipc/mining.ts';
import { startDatasetWorker } from '../../node/datasetWorker.ts';
import { forkSpawner } from '../../node/forkChild.ts';
import { forwardLines } from '../../node/stderrFilter.ts';
import { DEFAULT_MODEL_DIR, INFERENCE_ENTRY } from '../../node/paths.ts';
import { createMiningService, type MiningService } from '../../node/mining/miningService.ts';
import { inferenceSweeper } from '../../node/mining/pairWork.ts';
import { readQuestionFile } from '../../node/mining/scan.ts';

/** Usage lines of the mining subcommands (shown by `slime dataset --help`). */
export const MINE_USAGE = [
  '       slime dataset ask-folder FOLDER (--question Q)... [--questions FILE] [--top-p X] [--selector-mode legacy|single] [--max-new-tokens N] [--no-signals] [--tag T]... [--db PATH] [--json]',
  '       slime dataset ask-folder --resume JOB [--db PATH] [--json]   (a job cut short by a crash, Ctrl-C or a pause)',
  '       slime dataset jobs [--db PATH] [--json]',
  "       slime dataset signals --job JOB [--db PATH] [--json]   (fills in the signals a job's examples miss; run again to resume)",
];

/** Flags of the mining subcommands. */
export const MINE_OPTIONS: ParseArgsOptionsConfig = {
  question: { type: 'string', multiple: true },
  questions: { type: 'string' },
  'top-p': { type: 'string' },
  'selector-mode': { type: 'string' },
  'max-new-tokens': { type: 'string' },
  'no-signals': { type: 'boolean' },
  resume: { type: 'string' },
  job: { type: 'string' },
};

function flag(ctx: CliContext, name: string): string | undefined {
  const v = ctx.flags[name];
  return typeof v === 'string' ? v : undefined;
}

function number(ctx: CliContext, name: string): number | undefined {
  const v = flag(ctx, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new AppFailure('ipc/bad-args', `--${name} needs a number, got "${v}"`);
  return n;
}

async function settingsFrom(ctx: CliContext): Promise<ReturnType<typeof miningSettingsSchema.parse>> {
  const typed = ctx.flags.question;
  const questions = Array.isArray(typed)
    ? typed.filter((q): q is string => typeof q === 'string')
    : typeof typed === 'string'
      ? [typed]
      : [];
  const fromFile = flag(ctx, 'questions') ? await readQuestionFile(path.resolve(flag(ctx, 'questions')!)) : { questions: [], perImage: {} };
  const signals = ctx.flags['no-signals'] === true;
  const tags = ctx.flags.tag;
  const parsed = miningSettingsSchema.safeParse({
    questions: [...questions, ...fromFile.questions],
    perImage: fromFile.perImage,
    selector: {
      ...(number(ctx, 'top-p') === undefined ? {} : { topP: number(ctx, 'top-p') }),
      ...(flag(ctx, 'selector-mode') ? { mode: flag(ctx, 'selector-mode') } : {}),
    },
    sampling: number(ctx, 'max-new-tokens') === undefined ? {} : { maxNewTokens: number(ctx, 'max-new-tokens') },
    signals: { detail: !signals, stability: !signals, embedding: !signals },
    tags: Array.isArray(tags) ? tags : typeof tags === 'string' ? [tags] : [],
  });
  if (!parsed.success) throw new AppFailure('ipc/bad-args', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}

function describe(job: MiningJob): string {
  const p = job.pairs;
  return `job ${job.id} ${job.state}: ${p.done}/${p.total} pairs done, ${p.failed} failed, ${job.images} images, ${job.skipped.length} files skipped — ${job.folder}`;
}

function printer(ctx: CliContext): (p: MiningProgress) => void {
  let last = 0;
  return (p) => {
    if (ctx.json) return ctx.out(JSON.stringify({ event: 'progress', ...p }));
    const now = Date.now();
    const signals = p.phase === 'signals';
    if (now - last < 1000 && (p.state === 'running' || signals) && p.done + p.failed < p.total) return;
    last = now;
    const unit = signals ? 'examples' : 'pairs';
    const rate = p.rate === null ? '' : `, ${p.rate.toFixed(2)} ${unit}/s, ETA ${Math.round(p.etaSeconds ?? 0)} s`;
    ctx.err(`${signals ? 'signals' : p.state} ${p.done + p.failed}/${p.total}${rate}${p.file ? ` — ${p.file}` : ''}`);
  };
}

/** `dataset signals --job N`: the signals pass in the foreground (Ctrl-C stops it; what is stored stays). */
async function runSignals(ctx: CliContext, mining: MiningService): Promise<number> {
  const jobId = number(ctx, 'job');
  if (jobId === undefined) throw new AppFailure('ipc/bad-args', `dataset signals needs --job JOB\nUsage:\n${MINE_USAGE.join('\n')}`);
  await mining.computeSignals(jobId);
  const onSigint = (): void => void mining.pauseJob(jobId);
  process.once('SIGINT', onSigint);
  try {
    const end = (await mining.wait(jobId)) ?? (await mining.getMiningJob(jobId));
    if (ctx.json) ctx.out(JSON.stringify({ event: 'end', job: end }));
    else ctx.out(`${describe(end)}; ${end.signalsMissing} examples still miss a signal`);
    return end.signalsMissing === 0 ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Runs `dataset ask-folder` / `dataset jobs` / `dataset signals` on the dataset file `file`. */
export async function runMine(ctx: CliContext, file: string): Promise<number> {
  const worker = startDatasetWorker({ dataDir: path.dirname(file), dbPath: file });
  const print = printer(ctx);
  const inference = new Supervisor({
    name: 'inference',
    spawn: forkSpawner(INFERENCE_ENTRY, process.env.SLIME_GPU_LOG === '1' ? {} : { onStderr: (s) => forwardLines(s, ctx.err) }),
  });
  const inferenceClient = new ContractClient(inferenceProcessContract, inference);
  const mining = createMiningService({
    db: worker.client,
    inference: inferenceClient,
    timeoutMs: 600_000,
    sweep: inferenceSweeper(inferenceClient, 600_000),
    emit: (_name, payload) => print(payload),
    defaultModelDir: flag(ctx, 'model-dir') ?? DEFAULT_MODEL_DIR,
    log: (_level, message) => ctx.err(message),
  });
  const onSigint = (): void => void mining.pauseJob(current);
  let current = 0;
  try {
    if (ctx.positionals[0] === 'jobs') {
      const jobs = await mining.listMiningJobs();
      if (ctx.json) ctx.out(JSON.stringify(jobs));
      else for (const job of jobs) ctx.out(describe(job));
      return 0;
    }
    if (ctx.positionals[0] === 'signals') return await runSignals(ctx, mining);
    const resume = number(ctx, 'resume');
    const folder = ctx.positionals[1];
    if (resume === undefined && !folder)
      throw new AppFailure('ipc/bad-args', `dataset ask-folder needs a FOLDER or --resume JOB\nUsage:\n${MINE_USAGE.join('\n')}`);
    const started =
      resume !== undefined
        ? await mining.resumeJob(resume)
        : await mining.askFolder({ folder: folder!, settings: await settingsFrom(ctx) });
    current = started.id;
    if (ctx.json) ctx.out(JSON.stringify({ event: 'job', jobId: started.id }));
    else ctx.err(`job ${started.id} started (resume it with --resume ${started.id})`);
    process.once('SIGINT', onSigint);
    const end = (await mining.wait(started.id)) ?? (await mining.getMiningJob(started.id));
    if (ctx.json) ctx.out(JSON.stringify({ event: 'end', job: end }));
    else ctx.out(describe(end));
    return end.state === 'done' && end.pairs.failed === 0 ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
    await inference.stop();
    await worker.stop();
  }
}
