// Node-only: the signals pass — fills in the hardness signals a job's examples miss (asked with signals off, or
// stored before a signal existed) with the same calls the ask pass makes: `score` for the detail score, the sweep for
// stability and margin, `embed` + the model's OOD guard per image. Each example is stored the moment it is done
// (`updateSignals`), so the pass is resumable by running it again: it asks the database what is still missing.
import type { MiningJob, MiningProgress, SignalsWork, FillableSignal, ExampleSignals } from '../../shared/ipc/miningTypes.ts';
import { AppFailure, toAppError, unwrap, unwrapInference } from '../../shared/errors.ts';
import { needsDetail } from '../../shared/mining/rank.ts';
import { imageFacts, type ImageFacts } from './pairWork.ts';
import { loadOodGuard, type OodGuard } from './ood.ts';
import { modelKey, type RunnerDeps } from './runner.ts';

interface PassContext {
  deps: RunnerDeps;
  job: MiningJob;
  guard: OodGuard | null;
  signal: AbortSignal;
}

async function factsFor(c: PassContext, work: SignalsWork): Promise<ImageFacts> {
  const forced = { ...c.job, settings: { ...c.job.settings, signals: { ...c.job.settings.signals, embedding: true } } };
  const facts = await imageFacts(c.deps, forced, work.imagePath, c.guard, c.signal);
  if (facts.embedding) unwrap(await c.deps.db.call('storeEmbedding', work.imageSha256, modelKey(c.job), facts.embedding));
  return facts;
}

/** Computes what `work` misses (keeping what it has) and the rank over the result. */
async function fill(c: PassContext, work: SignalsWork, facts: ImageFacts | null) {
  const have = work.signals;
  const missing = new Set(have.missing);
  const options = { signal: c.signal, timeoutMs: c.deps.timeoutMs };
  const base = { image: { path: work.imagePath }, question: work.question, modelDir: c.job.modelDir };
  let detail: { full: number; globalOnly: number } | null = null;
  if (missing.has('detail') && work.answer.trim().length > 0) {
    const r = unwrapInference(await c.deps.inference.callWith('score', [{ ...base, answer: work.answer }], options));
    if (Number.isFinite(r.full) && Number.isFinite(r.globalOnly)) detail = { full: r.full, globalOnly: r.globalOnly };
  }
  const maxNewTokens = c.job.settings.sampling.maxNewTokens ?? 64;
  const swept =
    (missing.has('instability') || missing.has('margin')) && c.deps.sweep ? await c.deps.sweep({ ...base, maxNewTokens }, c.signal) : null;
  const next: Omit<ExampleSignals, 'needsDetail' | 'missing'> = {
    detail: detail ? detail.full - detail.globalOnly : have.detail,
    instability: swept?.instability ?? have.instability,
    sweep: swept?.settings ?? have.sweep,
    // As in the ask pass: the sweep's margin (shipped setting) when the sweep ran, else the one stored.
    margin: swept?.margin ?? have.margin,
    oodScore: facts?.ood?.score ?? have.oodScore,
    inDist: facts?.ood?.inDist ?? have.inDist,
  };
  const rank = needsDetail(next);
  return { exampleId: work.exampleId, detail, signals: { ...next, needsDetail: rank.needs, missing: rank.missing } };
}

function progress(job: MiningJob, state: MiningJob['state'], done: number, failed: number, total: number, started: number): MiningProgress {
  const seconds = (performance.now() - started) / 1000;
  const rate = done > 0 && seconds > 0 ? done / seconds : null;
  const etaSeconds = rate ? (total - done - failed) / rate : null;
  return { jobId: job.id, phase: 'signals', state, done, failed, total, rate, etaSeconds, file: null };
}

/**
 * Fills in the missing signals of job `jobId`'s examples — one pass over what is missing when it starts — until done
 * or `signal` aborts. An example that fails is logged and left for the next run. Resolves with the job as stored.
 */
export async function runSignalsPass(
  deps: RunnerDeps,
  jobId: number,
  signal: AbortSignal,
  onProgress: (p: MiningProgress) => void,
): Promise<MiningJob> {
  const job = unwrap(await deps.db.call('getMiningJob', jobId));
  const guard = await loadOodGuard(job.modelDir);
  const wanted: FillableSignal[] = ['detail', 'instability', 'margin', ...(guard ? (['ood'] as const) : [])];
  const todo = unwrap(await deps.db.call('examplesMissingSignals', jobId, wanted));
  const c: PassContext = { deps, job, guard, signal };
  const started = performance.now();
  let [done, failed] = [0, 0];
  let facts = null as { sha: string; value: ImageFacts } | null;
  onProgress(progress(job, job.state, done, failed, todo.length, started));
  for (const work of todo) {
    if (signal.aborted) break;
    try {
      // One embed per image, only for images whose examples miss the OOD verdict (it also stores the embedding).
      if (work.signals.missing.includes('ood') && facts?.sha !== work.imageSha256)
        facts = { sha: work.imageSha256, value: await factsFor(c, work) };
      unwrap(await deps.db.call('updateSignals', await fill(c, work, facts?.sha === work.imageSha256 ? facts.value : null)));
      done += 1;
    } catch (thrown) {
      if (signal.aborted) break;
      const error = toAppError(thrown);
      deps.log?.('warn', `signals: example ${work.exampleId} — ${error.code}: ${error.message}`);
      failed += 1;
    }
    onProgress(progress(job, job.state, done, failed, todo.length, started));
  }
  const end = unwrap(await deps.db.call('getMiningJob', jobId));
  onProgress({ ...progress(end, end.state, done, failed, todo.length, started), rate: null, etaSeconds: null, ended: true });
  if (signal.aborted && signal.reason !== 'pause' && signal.reason !== 'cancel') throw new AppFailure('process/cancelled', 'stopped');
  return end;
}
