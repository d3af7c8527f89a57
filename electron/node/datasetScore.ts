// Node-only: the detail-score job — for each unscored example, ask the engine for the answer's mean log-likelihood with
// the full visual block and with the global view only, and store the difference as soon as it is known (resumable).
import type { ScoreOptions, ScoreSummary, JobProgress } from '../shared/ipc/dataset.ts';
import { AppFailure, unwrap } from '../shared/errors.ts';
import type { DatabaseClient } from '../../database/client.ts';

/** Mean answer log-likelihoods from the engine: with every kept local token, and with local tokens removed. */
export interface DetailScores {
  full: number;
  globalOnly: number;
}

/** What the job needs from the inference engine. */
export type DetailScorer = (imagePath: string, question: string, answer: string, signal: AbortSignal) => Promise<DetailScores>;

/** Mean of per-turn scores (each turn conditioned on its own question). */
async function scoreExample(
  scorer: DetailScorer,
  imagePath: string,
  turns: { question: string; answer: string }[],
  signal: AbortSignal,
): Promise<DetailScores> {
  let full = 0;
  let globalOnly = 0;
  for (const turn of turns) {
    const s = await scorer(imagePath, turn.question, turn.answer, signal);
    if (!Number.isFinite(s.full) || !Number.isFinite(s.globalOnly))
      throw new AppFailure('inference/failed', 'the engine returned a non-finite log-likelihood');
    full += s.full;
    globalOnly += s.globalOnly;
  }
  return { full: full / turns.length, globalOnly: globalOnly / turns.length };
}

/**
 * Scores examples one by one, storing each result immediately, so a cancel or crash loses at most the example in
 * flight and the next run (without `rescore`) resumes with the rest. A cancel resolves with `cancelled: true`.
 */
export async function runScoreJob(
  db: DatabaseClient,
  scorer: DetailScorer,
  options: ScoreOptions,
  signal: AbortSignal,
  progress: (p: Omit<JobProgress, 'jobId' | 'kind'>) => void,
): Promise<ScoreSummary> {
  const candidates = unwrap(await db.callWith('scoreCandidates', [options.ids, options.rescore ?? false], { timeoutMs: 120_000 }));
  const summary: ScoreSummary = { scored: 0, skipped: 0, failed: [], cancelled: false, remaining: 0 };
  progress({ phase: 'scoring', done: 0, total: candidates.length });
  for (const [index, candidate] of candidates.entries()) {
    if (signal.aborted) {
      summary.cancelled = true;
      break;
    }
    try {
      const s = await scoreExample(scorer, candidate.imagePath, candidate.turns, signal);
      if (unwrap(await db.call('recordScore', candidate.id, s.full, s.globalOnly))) summary.scored += 1;
      else summary.skipped += 1;
    } catch (thrown) {
      if (signal.aborted) {
        summary.cancelled = true;
        break;
      }
      summary.failed.push({ id: String(candidate.id), reason: thrown instanceof Error ? thrown.message : String(thrown) });
    }
    progress({ phase: 'scoring', done: index + 1, total: candidates.length });
  }
  summary.remaining = unwrap(await db.call('unscoredCount'));
  return summary;
}
