// Node-only: implements the `mining` contract — forwards the mining reads to the database worker (declared once in
// ipc/mining.ts) and runs ask-a-folder jobs in the background with pause, cancel, resume and progress events.
import path from 'node:path';
import type { EventSink, ServiceImpl } from '../../shared/ipc/contract.ts';
import {
  miningDataMethods,
  miningSettingsSchema,
  type MiningContract,
  type MiningJob,
  type MiningSettings,
} from '../../shared/ipc/mining.ts';
import { AppFailure, toAppError, unwrap, type Result } from '../../shared/errors.ts';
import { manifestSha256 } from '../services/chatService.ts';
import { runJob, type RunnerDeps, type StopReason } from './runner.ts';
import { runSignalsPass } from './signalsPass.ts';
import { listImageFiles, readQuestionFile, type QuestionFile } from './scan.ts';

/** What the mining service needs. */
export interface MiningServiceDeps extends RunnerDeps {
  emit: EventSink<MiningContract>;
  defaultModelDir: string;
}

type DataMethod = keyof typeof miningDataMethods & string;

/** The mining service plus `wait`, which resolves when a job's background run ends (CLI, tests). */
export interface MiningService extends ServiceImpl<MiningContract> {
  wait(jobId: number): Promise<MiningJob | null>;
}

/** Typed settings plus a questions file: shared questions appended (once each), per-image lists merged. */
export function withQuestionFile(settings: MiningSettings, file: QuestionFile): MiningSettings {
  const perImage = { ...settings.perImage };
  for (const [image, list] of Object.entries(file.perImage)) perImage[image] = [...new Set([...(perImage[image] ?? []), ...list])];
  const merged = miningSettingsSchema.safeParse({
    ...settings,
    questions: [...new Set([...settings.questions, ...file.questions])],
    perImage,
  });
  if (!merged.success)
    throw new AppFailure(
      'ipc/bad-args',
      `Questions file: ${merged.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return merged.data;
}

/** The data methods of the contract, answered by the database worker as they are. */
function forwardData(db: MiningServiceDeps['db']): Pick<ServiceImpl<MiningContract>, DataMethod> {
  return Object.fromEntries(
    Object.keys(miningDataMethods).map((name) => [
      name,
      async (...args: unknown[]) => unwrap(await (db.call as (m: string, ...a: unknown[]) => Promise<Result<unknown>>)(name, ...args)),
    ]),
  ) as unknown as Pick<ServiceImpl<MiningContract>, DataMethod>;
}

/** Checks an ask-a-folder request (folder readable, at least one question) and saves its job row. */
async function createAskFolderJob(
  deps: MiningServiceDeps,
  { folder, modelDir, questionsFile, settings: typed }: Parameters<ServiceImpl<MiningContract>['askFolder']>[0],
): Promise<MiningJob> {
  const root = path.resolve(folder);
  await listImageFiles(root);
  const settings = questionsFile ? withQuestionFile(typed, await readQuestionFile(path.resolve(questionsFile))) : typed;
  if (settings.questions.length === 0 && Object.keys(settings.perImage).length === 0)
    throw new AppFailure('ipc/bad-args', 'Ask a folder needs at least one question (typed or from a file).');
  const dir = path.resolve(modelDir ?? deps.defaultModelDir);
  return unwrap(
    await deps.db.call('createMiningJob', { folder: root, modelDir: dir, manifestSha256: await manifestSha256(dir), settings }),
  );
}

/** Builds the `mining` service. */
export function createMiningService(deps: MiningServiceDeps): MiningService {
  const running = new Map<number, { controller: AbortController; done: Promise<MiningJob | null> }>();

  function start(jobId: number, run: typeof runJob = runJob): void {
    if (running.has(jobId)) throw new AppFailure('db/conflict', `Mining job ${jobId} is already running.`);
    const controller = new AbortController();
    const done = run(deps, jobId, controller.signal, (p) => deps.emit('progress', p))
      .catch((thrown: unknown) => {
        const error = toAppError(thrown);
        deps.log?.('error', `mining job ${jobId} stopped: ${error.code}: ${error.message}`);
        return null;
      })
      .finally(() => running.delete(jobId));
    running.set(jobId, { controller, done });
  }

  function stop(jobId: number, reason: StopReason): boolean {
    const run = running.get(jobId);
    run?.controller.abort(reason);
    return run !== undefined;
  }

  return {
    ...forwardData(deps.db),
    askFolder: async (request) => {
      const job = await createAskFolderJob(deps, request);
      start(job.id);
      return job;
    },
    resumeJob: async (jobId) => {
      const job = unwrap(await deps.db.call('getMiningJob', jobId));
      if (job.state === 'cancelled' || job.state === 'done')
        throw new AppFailure('db/conflict', `Mining job ${jobId} is ${job.state}; it cannot be resumed.`);
      start(jobId);
      return job;
    },
    computeSignals: async (jobId) => {
      const job = unwrap(await deps.db.call('getMiningJob', jobId));
      start(jobId, runSignalsPass);
      return job;
    },
    pauseJob: (jobId) => stop(jobId, 'pause'),
    cancelJob: async (jobId) => {
      if (stop(jobId, 'cancel')) return true;
      const job = unwrap(await deps.db.call('getMiningJob', jobId));
      if (job.state === 'done' || job.state === 'cancelled') return false;
      unwrap(await deps.db.call('setMiningJobState', jobId, 'cancelled'));
      return true;
    },
    wait: async (jobId) => running.get(jobId)?.done ?? null,
  };
}
