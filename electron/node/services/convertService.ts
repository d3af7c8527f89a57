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

interface Entry {
  job: ConvertJob;
  startedAt: number;
  proc: ConverterProcess | null;
  done: Promise<ConvertJob>;
}

/** The service and its shutdown (cancels running conversions). */
export interface ConvertService {
  impl: ServiceImpl<ConvertContract>;
  dispose(): Promise<void>;
}

/** Builds the `convert` service. */
export function createConvertService(deps: ConvertServiceDeps): ConvertService {
  const jobs = new Map<string, Entry>();
  const python = (): ReturnType<typeof findPython> => findPython(deps.converterRoot, deps.python ?? process.env.SLIME_PYTHON);

  async function plan(request: ConvertRequest): Promise<ConvertPlan> {
    const checkpoint = path.resolve(request.checkpoint);
    const clip = path.resolve(request.clip);
    const { model, bytes } = await checkCheckpoint(checkpoint);
    await checkClip(clip);
    const out = await chooseOut(deps.dataDir, checkpoint, request.dtype, request.out && path.resolve(request.out));
    return { checkpoint, clip, dtype: request.dtype, out, model, checkpointBytes: bytes, python: await python() };
  }

  function publish(entry: Entry, change: Partial<ConvertJob>): void {
    entry.job = { ...entry.job, ...change, elapsedSeconds: (Date.now() - entry.startedAt) / 1000 };
    deps.emit('progress', entry.job);
  }

  function onProgress(entry: Entry, p: ConverterProgress): void {
    publish(entry, {
      stage: p.stage,
      fraction: Math.min(1, Math.max(entry.job.fraction, p.fraction)),
      etaSeconds: p.eta_s,
      layer: p.layer !== null && p.layers !== null ? { index: p.layer, of: p.layers } : null,
      message: p.message,
    });
  }

  async function settle(entry: Entry, outcome: ConverterOutcome): Promise<ConvertJob> {
    if (!outcome.ok) {
      const cancelled = outcome.error.code === 'convert/cancelled';
      publish(entry, { status: cancelled ? 'cancelled' : 'failed', error: outcome.error, etaSeconds: null });
      return entry.job;
    }
    publish(entry, { stage: 'adding', fraction: 0.99, etaSeconds: null, message: `checking ${outcome.out}` });
    try {
      await deps.addModelFolder(outcome.out);
      publish(entry, { status: 'done', fraction: 1, modelDir: outcome.out, message: `added ${outcome.out} to the model list` });
    } catch (thrown) {
      const error = toAppError(thrown);
      publish(entry, {
        status: 'failed',
        error: { ...error, message: `Converted to ${outcome.out}, but the folder did not validate: ${error.message}` },
      });
    }
    return entry.job;
  }

  async function start(request: ConvertRequest): Promise<ConvertJob> {
    if ([...jobs.values()].some((e) => e.job.status === 'running')) {
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
    const { checkpoint, clip, dtype, out } = checked;
    const jobId = randomUUID();
    const job: ConvertJob = {
      jobId,
      status: 'running',
      request: { checkpoint, clip, dtype, out, ...(request.name ? { name: request.name } : {}) },
      stage: 'starting',
      fraction: 0,
      elapsedSeconds: 0,
      etaSeconds: null,
      layer: null,
      message: `starting ${checked.python.path} -m models.export`,
    };
    const entry: Entry = { job, startedAt: Date.now(), proc: null, done: Promise.resolve(job) };
    entry.proc = new ConverterProcess({
      python: checked.python.path,
      cwd: deps.converterRoot,
      ...job.request,
      onProgress: (p) => onProgress(entry, p),
      ...(deps.killGraceMs !== undefined ? { killGraceMs: deps.killGraceMs } : {}),
    });
    entry.done = entry.proc.done.then((outcome) => settle(entry, outcome));
    jobs.set(jobId, entry);
    deps.emit('progress', job);
    return job;
  }

  const entryOf = (jobId: string): Entry => {
    const entry = jobs.get(jobId);
    if (!entry) throw new AppFailure('io/not-found', `No conversion job ${jobId} in this session.`);
    return entry;
  };

  return {
    impl: {
      plan,
      start,
      wait: (jobId) => entryOf(jobId).done,
      cancel: (jobId) => {
        const entry = jobs.get(jobId);
        if (!entry || entry.job.status !== 'running') return false;
        entry.proc?.cancel();
        return true;
      },
      list: () => [...jobs.values()].map((e) => e.job).reverse(),
    },
    async dispose() {
      const running = [...jobs.values()].filter((e) => e.job.status === 'running');
      for (const e of running) e.proc?.cancel();
      await Promise.all(running.map((e) => e.done.catch(() => undefined)));
    },
  };
}
