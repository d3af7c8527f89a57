// Node-only: runs an ask-a-folder job — scans the folder into the image store and the job's pairs (idempotent, so a
// scan cut short is simply redone), then answers the pending pairs one image at a time (the image's features stay in
// the engine's cache across its questions), storing each pair the moment it completes. Whatever stops it (pause,
// cancel, crash, SIGKILL), the pairs already done stay done and a resume picks up the rest.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { DatabaseClient } from '../../../database/client.ts';
import type { MiningJob, MiningProgress } from '../../shared/ipc/miningTypes.ts';
import { AppFailure, toAppError, unwrap } from '../../shared/errors.ts';
import { listImageFiles, questionsFor } from './scan.ts';
import { askPair, imageFacts, type ImageFacts, type PairDeps, type Sweeper } from './pairWork.ts';
import { loadOodGuard } from './ood.ts';

/** What a job run needs. */
export interface RunnerDeps extends PairDeps {
  db: DatabaseClient;
  /** The stability sweep (null until the engine provides one). */
  sweep: Sweeper | null;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** The key embeddings are stored under: the model's manifest sha256 (its folder when unreadable). */
export function modelKey(job: MiningJob): string {
  return job.manifestSha256 ?? job.modelDir;
}

/** Why a run stopped early: the caller's abort reason. */
export type StopReason = 'pause' | 'cancel';

const BATCH = 64;

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

/** Adds the folder's images to the store (each once: an image already stored is not read in again) and the pairs. */
export async function scanJob(deps: RunnerDeps, job: MiningJob, signal: AbortSignal): Promise<MiningJob> {
  const files = await listImageFiles(job.folder);
  const skipped: { file: string; reason: string }[] = [];
  const images = new Set<string>();
  let pairs: { imageSha256: string; question: string; file: string }[] = [];
  for (const found of files) {
    if (signal.aborted) throw new AppFailure('process/cancelled', 'The scan was stopped.');
    const questions = questionsFor(found.relative, job.settings.questions, job.settings.perImage);
    if (questions.length === 0) continue;
    let sha: string;
    try {
      sha = await sha256Of(found.file);
      const stored = await deps.db.call('getImage', sha);
      if (!stored.ok) sha = unwrap(await deps.db.call('addImageFile', found.file)).sha256;
    } catch (thrown) {
      skipped.push({ file: found.relative, reason: toAppError(thrown).message });
      continue;
    }
    images.add(sha);
    pairs.push(...questions.map((question) => ({ imageSha256: sha, question, file: found.relative })));
    if (pairs.length >= 500) {
      unwrap(await deps.db.call('addMiningPairs', job.id, pairs));
      pairs = [];
    }
  }
  if (pairs.length > 0) unwrap(await deps.db.call('addMiningPairs', job.id, pairs));
  return unwrap(await deps.db.call('finishMiningScan', job.id, images.size, skipped));
}

/** Rate and ETA over this run. */
class Meter {
  private readonly started = performance.now();
  private doneHere = 0;
  tick(): void {
    this.doneHere += 1;
  }
  progress(job: MiningJob, state: MiningJob['state'], done: number, failed: number, file: string | null): MiningProgress {
    const seconds = (performance.now() - this.started) / 1000;
    const rate = this.doneHere > 0 && seconds > 0 ? this.doneHere / seconds : null;
    const left = job.pairs.total - done - failed;
    return { jobId: job.id, state, done, failed, total: job.pairs.total, rate, etaSeconds: rate ? left / rate : null, file };
  }
}

/**
 * Runs job `jobId` until its pairs are done or `signal` aborts (reason 'pause' or 'cancel'; anything else leaves the
 * job `running`, as a crash would, for the next resume). Resolves with the job as stored at the end.
 */
export async function runJob(
  deps: RunnerDeps,
  jobId: number,
  signal: AbortSignal,
  onProgress: (p: MiningProgress) => void,
): Promise<MiningJob> {
  let job = unwrap(await deps.db.call('getMiningJob', jobId));
  if (job.state === 'cancelled' || job.state === 'done') return job;
  try {
    if (job.state === 'scanning') job = await scanJob(deps, job, signal);
    job = unwrap(await deps.db.call('setMiningJobState', jobId, 'running'));
    const guard = await loadOodGuard(job.modelDir);
    const meter = new Meter();
    let { done, failed } = job.pairs;
    onProgress(meter.progress(job, 'running', done, failed, null));
    let facts = null as { sha: string; value: ImageFacts } | null;
    for (;;) {
      const batch = unwrap(await deps.db.call('nextMiningPairs', jobId, BATCH));
      if (batch.length === 0) break;
      for (const pair of batch) {
        if (signal.aborted) throw new AppFailure('process/cancelled', 'stopped');
        try {
          if (facts?.sha !== pair.imageSha256) {
            const value = await imageFacts(deps, job, pair.imagePath, guard, signal);
            if (value.embedding) unwrap(await deps.db.call('storeEmbedding', pair.imageSha256, modelKey(job), value.embedding));
            facts = { sha: pair.imageSha256, value };
          }
          const completed = await askPair(deps, job, pair, facts.value, deps.sweep, signal);
          unwrap(await deps.db.call('completeMiningPair', completed));
          done += 1;
          meter.tick();
        } catch (thrown) {
          if (signal.aborted) throw thrown;
          const error = toAppError(thrown);
          deps.log?.('warn', `ask-folder: ${pair.file} — ${error.code}: ${error.message}`);
          unwrap(await deps.db.call('failMiningPair', jobId, pair.imageSha256, pair.question, `${error.code}: ${error.message}`));
          failed += 1;
        }
        onProgress(meter.progress(job, 'running', done, failed, pair.file));
      }
    }
    job = unwrap(await deps.db.call('setMiningJobState', jobId, 'done'));
    onProgress(meter.progress(job, 'done', job.pairs.done, job.pairs.failed, null));
    return job;
  } catch (thrown) {
    const reason = signal.reason as unknown;
    if (!signal.aborted || (reason !== 'pause' && reason !== 'cancel')) throw thrown;
    // A scan cut short stays `scanning` when paused, so the resume finishes it.
    const state = reason === 'cancel' ? 'cancelled' : job.state === 'scanning' ? 'scanning' : 'paused';
    job = unwrap(await deps.db.call('setMiningJobState', jobId, state));
    const { done, failed, total } = job.pairs;
    onProgress({ jobId, state: job.state, done, failed, total, rate: null, etaSeconds: null, file: null });
    return job;
  }
}
