// Implements the `convert` contract in Node (Electron main, the CLI, tests): checks a conversion (convertPlan.ts), runs
// the streaming converter as a supervised child process (convertJob.ts) with progress events and cancel, and adds the
// finished folder to the model list through the settings service (which validates it). One conversion at a time:
// each peaks at ~2.8 GB of memory (models/rehearsal/RESULTS.md).
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { EventSink, ServiceImpl } from '../../shared/ipc/contract.ts';
import type { ConvertContract, ConvertJob, ConvertPlan, ConvertRequest } from '../../shared/ipc/convert.ts';
import { AppFailure, toAppError } from '../../shared/errors.ts';
import { ConverterProcess, type ConverterOutcome, type ConverterProgress } from '../convertJob.ts';
import { checkCheckpoint, checkClip, chooseOut } from '../convertPlan.ts';
import { findPython, pythonMissingMessage } from '../convertPython.ts';

/** What the convert service needs from its host. */
export interface ConvertServiceDeps {
  /** The app's data folder (default output: `<dataDir>/models/…`). */
  dataDir: string;
  /** Folder holding the converter's `models` package (and, usually, its `.venv`). */
  converterRoot: string;
  /** An explicit interpreter (default: $SLIME_PYTHON, else `<converterRoot>/.venv`, else PATH). */
  python?: string;
  /** The settings service's addModelFolder (validates the folder, then lists it). */
  addModelFolder(dir: string): Promise<unknown>;
  emit: EventSink<ConvertContract>;
  /** SIGTERM→SIGKILL grace period on cancel (ms). */
  killGraceMs?: number;
}

/** The service and its shutdown (cancels running conversions). */
export interface ConvertService {
  impl: ServiceImpl<ConvertContract>;
  dispose(): Promise<void>;
}

/** A new running job for a checked request. */
function newJob(checked: ConvertPlan, name: string | undefined): ConvertJob {
  const { checkpoint, clip, dtype, out } = checked;
  return {
    jobId: randomUUID(),
    status: 'running',
    request: { checkpoint, clip, dtype, out, ...(name ? { name } : {}) },
    stage: 'starting',
    fraction: 0,
    elapsedSeconds: 0,
    etaSeconds: null,
    layer: null,
    message: `starting ${checked.python.path} -m models.export`,
  };
}

/** One conversion: its state (published on every change), its converter process and its end. */
class ConvertRun {
  job: ConvertJob;
  readonly done: Promise<ConvertJob>;
  private readonly proc: ConverterProcess;
  private readonly startedAt = Date.now();
  private readonly deps: ConvertServiceDeps;

  constructor(job: ConvertJob, python: string, deps: ConvertServiceDeps) {
    this.job = job;
    this.deps = deps;
    this.proc = new ConverterProcess({
      python,
      cwd: deps.converterRoot,
      ...job.request,
      onProgress: (p) => this.onProgress(p),
      ...(deps.killGraceMs !== undefined ? { killGraceMs: deps.killGraceMs } : {}),
    });
    this.done = this.proc.done.then((outcome) => this.settle(outcome));
    deps.emit('progress', job);
  }

  cancel(): void {
    this.proc.cancel();
  }

  private publish(change: Partial<ConvertJob>): void {
    this.job = { ...this.job, ...change, elapsedSeconds: (Date.now() - this.startedAt) / 1000 };
    this.deps.emit('progress', this.job);
  }

  private onProgress(p: ConverterProgress): void {
    this.publish({
      stage: p.stage,
      fraction: Math.min(1, Math.max(this.job.fraction, p.fraction)),
      etaSeconds: p.eta_s,
      layer: p.layer !== null && p.layers !== null ? { index: p.layer, of: p.layers } : null,
      message: p.message,
    });
  }

  /** Failed or cancelled as the converter said; else the folder is added (validated) to the model list. */
  private async settle(outcome: ConverterOutcome): Promise<ConvertJob> {
    if (!outcome.ok) {
      const cancelled = outcome.error.code === 'convert/cancelled';
      this.publish({ status: cancelled ? 'cancelled' : 'failed', error: outcome.error, etaSeconds: null });
      return this.job;
    }
    this.publish({ stage: 'adding', fraction: 0.99, etaSeconds: null, message: `checking ${outcome.out}` });
    try {
      await this.deps.addModelFolder(outcome.out);
      this.publish({ status: 'done', fraction: 1, modelDir: outcome.out, message: `added ${outcome.out} to the model list` });
    } catch (thrown) {
      const error = toAppError(thrown);
      this.publish({
        status: 'failed',
        error: { ...error, message: `Converted to ${outcome.out}, but the folder did not validate: ${error.message}` },
      });
    }
    return this.job;
  }
}

/** Builds the `convert` service. */
export function createConvertService(deps: ConvertServiceDeps): ConvertService {
  const runs = new Map<string, ConvertRun>();
  const running = (): ConvertRun[] => [...runs.values()].filter((r) => r.job.status === 'running');

  async function plan(request: ConvertRequest): Promise<ConvertPlan> {
    const checkpoint = path.resolve(request.checkpoint);
    const clip = path.resolve(request.clip);
    const { model, bytes } = await checkCheckpoint(checkpoint);
    await checkClip(clip);
    const out = await chooseOut(deps.dataDir, checkpoint, request.dtype, request.out && path.resolve(request.out));
    const python = await findPython(deps.converterRoot, deps.python ?? process.env.SLIME_PYTHON);
    return { checkpoint, clip, dtype: request.dtype, out, model, checkpointBytes: bytes, python };
  }

  async function start(request: ConvertRequest): Promise<ConvertJob> {
    if (running().length > 0) {
      throw new AppFailure(
        'convert/busy',
        'A conversion is already running (one at a time: each needs about 3 GB of memory). Wait for it or cancel it.',
      );
    }
    const checked = await plan(request);
    if (checked.python.missing.length > 0 || !checked.python.path) {
      throw new AppFailure('convert/python-missing', pythonMissingMessage(checked.python), { ...checked.python });
    }
    await mkdir(path.dirname(checked.out), { recursive: true });
    const run = new ConvertRun(newJob(checked, request.name), checked.python.path, deps);
    runs.set(run.job.jobId, run);
    return run.job;
  }

  return {
    impl: {
      plan,
      start,
      wait: (jobId) => {
        const run = runs.get(jobId);
        if (!run) throw new AppFailure('io/not-found', `No conversion job ${jobId} in this session.`);
        return run.done;
      },
      cancel: (jobId) => {
        const run = runs.get(jobId);
        if (!run || run.job.status !== 'running') return false;
        run.cancel();
        return true;
      },
      list: () => [...runs.values()].map((r) => r.job).reverse(),
    },
    async dispose() {
      const live = running();
      for (const r of live) r.cancel();
      await Promise.all(live.map((r) => r.done.catch(() => undefined)));
    },
  };
}
