// Inference process: the selector sweep — the same question at global-only, top-p 0.5 / 0.8 / 0.95 and keep-all
// (greedy), with kept counts, TTFT, where each answer diverges from the shipped setting, instability and margin.
// The ONE code path for these figures: the inspector's sweep panel and the dataset's stability signal both call it.
import type { z } from 'zod';
import type { SweepResult, SweepSetting, sweepRequestSchema } from '../shared/ipc/inference.ts';
import type { LoadedModel } from './model.ts';
import type { FeatureCache } from './encode.ts';
import type { KvCache } from './kvCache.ts';
import { answer, type AskArgs } from './answer.ts';
import { checkAbort } from './generate.ts';
import { marginOf } from './firstStep.ts';

type SweepArgs = z.output<typeof sweepRequestSchema>;
type Mode = 'legacy' | 'single';

/** One planned setting. */
export interface PlannedSetting {
  id: string;
  selector: { mode: Mode; topP: number; keep?: number[] };
}

/** The top-p settings between global-only and keep-all. */
export const SWEEP_TOP_P = [0.5, 0.8, 0.95] as const;

/**
 * Settings in order: global, p0.5, p0.8, p0.95, all at the manifest's mode (plus `p<top_p>` when the manifest's top_p
 * is none of those), then — with `bothModes` — the top-p settings at the other mode, prefixed `<mode>:` (global and
 * all do not depend on the mode, so they are not repeated).
 */
export function sweepPlan(manifest: { mode: Mode; top_p: number }, bothModes: boolean): { plan: PlannedSetting[]; shipped: string } {
  const mode = manifest.mode;
  const ps = [...new Set<number>([...SWEEP_TOP_P, ...(manifest.top_p < 1 ? [manifest.top_p] : [])])].sort((a, b) => a - b);
  const plan: PlannedSetting[] = [
    { id: 'global', selector: { mode, topP: 1, keep: [] } },
    ...ps.map((p) => ({ id: `p${p}`, selector: { mode, topP: p } })),
    { id: 'all', selector: { mode, topP: 1 } },
  ];
  if (bothModes) {
    const other: Mode = mode === 'legacy' ? 'single' : 'legacy';
    plan.push(...ps.map((p) => ({ id: `${other}:p${p}`, selector: { mode: other, topP: p } })));
  }
  return { plan, shipped: manifest.top_p >= 1 ? 'all' : `p${manifest.top_p}` };
}

/** First character index where `a` and `b` differ (a prefix differs at the shorter length); null when equal. */
export function divergeAt(a: string, b: string): number | null {
  if (a === b) return null;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** (settings at the manifest's mode, other than shipped, whose answer differs) / their number. */
export function instabilityOf(settings: readonly SweepSetting[], shipped: string): number {
  const others = settings.filter((s) => s.id !== shipped && !s.id.includes(':'));
  const base = settings.find((s) => s.id === shipped);
  if (!base || others.length === 0) return 0;
  return others.filter((s) => s.answer !== base.answer).length / others.length;
}

/**
 * Runs the sweep through the ask flow (one `answer` per setting, on `caches.kv` so consecutive settings reuse the
 * rows before the first kept cell that differs; features come from the cache after the first setting).
 */
export async function sweep(
  model: LoadedModel,
  caches: { features: FeatureCache; kv: KvCache },
  req: SweepArgs,
  signal: AbortSignal,
  emit: (p: unknown) => void,
): Promise<SweepResult> {
  const { plan, shipped } = sweepPlan(model.manifest.selector, req.bothModes);
  const maxNewTokens = req.maxNewTokens ?? model.manifest.generation.max_new_tokens;
  const ran: Omit<SweepSetting, 'divergeAt'>[] = [];
  for (const [n, s] of plan.entries()) {
    checkAbort(signal);
    emit({ kind: 'progress', requestId: req.requestId, job: 'sweep', done: n, total: plan.length, label: s.id });
    const args: AskArgs = {
      requestId: `${req.requestId}:${s.id}`,
      image: req.image,
      question: req.question,
      history: req.history,
      ...(req.systemPrompt === undefined ? {} : { systemPrompt: req.systemPrompt }),
      sampling: { temperature: 0, maxNewTokens },
      selector: s.selector,
      ...(req.probeTokenId === undefined ? {} : { probeTokenId: req.probeTokenId }),
    };
    const { result } = await answer(
      model,
      caches,
      args,
      signal,
      () => undefined,
      () => undefined,
    );
    const i = result.inspection;
    ran.push({
      id: s.id,
      selector: s.selector,
      answer: result.answer,
      tokenIds: result.tokenIds,
      keptLocal: i.tokens.localAfter,
      ttftMs: i.timings.ttft,
      firstStep: i.firstStep ?? { top: [] },
    });
  }
  emit({ kind: 'progress', requestId: req.requestId, job: 'sweep', done: plan.length, total: plan.length, label: 'done' });
  const base = ran.find((s) => s.id === shipped)!;
  const settings = ran.map((s) => ({ ...s, divergeAt: divergeAt(s.answer, base.answer) }));
  return {
    requestId: req.requestId,
    model: { dir: model.dir, name: model.manifest.name },
    shipped,
    settings,
    instability: instabilityOf(settings, shipped),
    margin: marginOf(base.firstStep),
  };
}
