// Node-only: one image × question of an ask-a-folder job — the answer (inference `ask`), its provenance as the chat
// service records it, and the hardness signals: detail score (`score`), first-token margin (`firstStep`), stability
// across selector settings (`sweep`, the one code path in electron/inference/sweep.ts), OOD from the image embedding.
import type { ContractClient } from '../../shared/process/client.ts';
import type { InferenceProcessContract } from '../../shared/ipc/inferenceProcess.ts';
import type { AskResult } from '../../shared/ipc/inference.ts';
import type { CompletedPair, MiningJob, PendingPair, SweepSummary } from '../../shared/ipc/miningTypes.ts';
import { unwrapInference } from '../../shared/errors.ts';
import { needsDetail } from '../../shared/mining/rank.ts';
import { finalPatch } from '../services/chatService.ts';
import { oodScore, type OodGuard } from './ood.ts';

/** What the pair work calls. */
export interface PairDeps {
  inference: ContractClient<InferenceProcessContract>;
  /** Per-call time limit (ms). */
  timeoutMs: number;
}

/** What is known about the image before its questions run (computed once per image). */
export interface ImageFacts {
  embedding: number[] | null;
  ood: { score: number; inDist: boolean } | null;
}

/** The first answer token's margin (top-1 − top-2 probability), when the engine reports `firstStep`. */
export function marginOf(result: AskResult): number | null {
  const first = (result.inspection as { firstStep?: { top?: { prob: number }[] } }).firstStep;
  const top = first?.top;
  if (!top || top.length < 2) return null;
  return top[0]!.prob - top[1]!.prob;
}

/** The embedding of an image and the OOD verdict on it (null parts when turned off or unavailable). */
export async function imageFacts(
  deps: PairDeps,
  job: MiningJob,
  imagePath: string,
  guard: OodGuard | null,
  signal: AbortSignal,
): Promise<ImageFacts> {
  if (!job.settings.signals.embedding && !guard) return { embedding: null, ood: null };
  const request = { image: { path: imagePath }, modelDir: job.modelDir };
  const e = unwrapInference(await deps.inference.callWith('embed', [request], { signal, timeoutMs: deps.timeoutMs }));
  return { embedding: e.vector, ood: guard ? oodScore(guard, e.vector) : null };
}

/** Stability across selector settings and the shipped setting's first-token margin (SESSION2-PLAN.md "Sweep"). */
export type Sweeper = (
  request: { image: { path: string }; question: string; modelDir: string; maxNewTokens: number },
  signal: AbortSignal,
) => Promise<{ instability: number; margin: number; settings: SweepSummary[] }>;

/** The sweep through the engine's one code path (electron/inference/sweep.ts, `sweep` on the inference process). */
export function inferenceSweeper(inference: ContractClient<InferenceProcessContract>, timeoutMs: number): Sweeper {
  let n = 0;
  return async (request, signal) => {
    const r = unwrapInference(
      await inference.callWith('sweep', [{ ...request, requestId: `mine-sweep-${process.pid}-${++n}` }], { signal, timeoutMs }),
    );
    const settings = r.settings.map((x) => ({ id: x.id, answer: x.answer, keptLocal: x.keptLocal, divergeAt: x.divergeAt }));
    return { instability: r.instability, margin: r.margin, settings };
  };
}

/** Asks one pair and computes its signals; the caller stores the result with `completeMiningPair`. */
export async function askPair(
  deps: PairDeps,
  job: MiningJob,
  pair: PendingPair,
  facts: ImageFacts,
  sweep: Sweeper | null,
  signal: AbortSignal,
): Promise<CompletedPair> {
  const s = job.settings;
  const options = { signal, timeoutMs: deps.timeoutMs };
  const maxNewTokens = s.sampling.maxNewTokens ?? 64;
  const request = {
    requestId: `mine-${job.id}-${pair.imageSha256.slice(0, 12)}-${Date.now()}`,
    modelDir: job.modelDir,
    image: { path: pair.imagePath },
    question: pair.question,
    sampling: { temperature: s.sampling.temperature ?? 0, maxNewTokens },
    selector: s.selector,
  };
  const result = unwrapInference(await deps.inference.callWith('ask', [request], options));
  const answer = result.answer.trim();
  let detail: CompletedPair['detail'] = null;
  if (s.signals.detail && answer.length > 0) {
    const scoreRequest = { image: { path: pair.imagePath }, question: pair.question, answer, modelDir: job.modelDir };
    const r = unwrapInference(await deps.inference.callWith('score', [scoreRequest], options));
    if (Number.isFinite(r.full) && Number.isFinite(r.globalOnly)) detail = { full: r.full, globalOnly: r.globalOnly };
  }
  const swept =
    s.signals.stability && sweep
      ? await sweep({ image: { path: pair.imagePath }, question: pair.question, modelDir: job.modelDir, maxNewTokens }, signal)
      : null;
  // The margin of the shipped setting: the sweep's when it ran, else the answer's own first step.
  const margin = swept?.margin ?? marginOf(result);
  const rank = needsDetail({
    detail: detail ? detail.full - detail.globalOnly : null,
    instability: swept?.instability ?? null,
    margin,
    inDist: facts.ood?.inDist ?? null,
  });
  const base = {
    modelDir: job.modelDir,
    manifestHash: job.manifestSha256,
    requestId: request.requestId,
    folder: job.folder,
    file: pair.file,
  };
  return {
    jobId: job.id,
    imageSha256: pair.imageSha256,
    question: pair.question,
    answer,
    provenance: { ...finalPatch(result, base).provenance, tool: 'slime ask-folder' },
    inspection: result.inspection,
    tags: s.tags,
    detail,
    signals: pairSignals(detail, swept, margin, facts, rank),
  };
}

/** The stored signals of one pair. */
function pairSignals(
  detail: CompletedPair['detail'],
  swept: Awaited<ReturnType<Sweeper>> | null,
  margin: number | null,
  facts: ImageFacts,
  rank: ReturnType<typeof needsDetail>,
): CompletedPair['signals'] {
  return {
    detail: detail ? detail.full - detail.globalOnly : null,
    instability: swept?.instability ?? null,
    sweep: swept?.settings ?? null,
    margin,
    oodScore: facts.ood?.score ?? null,
    inDist: facts.ood?.inDist ?? null,
    needsDetail: rank.needs,
    missing: rank.missing,
  };
}
