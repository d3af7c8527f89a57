// Inference process: "what this answer depended on" — drop each group of kept cells (per tile, or per 2×2 block of a
// tile's query grid), re-score the answer's tokens teacher-forced, and report the drop in their log-probability per
// group, per cell, and how well it agrees with the selector's hottest cells. Forward-only; cancellable; the job cache
// keeps the rows before the first dropped cell (groups run in descending order of that cell, so each reuses all of
// them) and the image features come from the feature cache.
import type { z } from 'zod';
import type { OcclusionGroup, OcclusionResult, occlusionRequestSchema } from '../shared/ipc/inference.ts';
import type { LoadedModel } from './model.ts';
import { runEmbed } from './model.ts';
import type { FeatureCache } from './encode.ts';
import type { KvCache } from './kvCache.ts';
import { prepare, type AskArgs, type Prepared } from './answer.ts';
import { assemble } from './assemble.ts';
import { checkAbort, commonPrefix, decoderStep } from './generate.ts';
import { logSoftmaxAt } from './score.ts';

type OcclusionArgs = z.output<typeof occlusionRequestSchema>;

/** One group to drop, before it is scored. */
export interface CellGroup {
  label: string;
  tile: number;
  cells: number[];
}

/**
 * Groups of `kept` raster indices: per tile (`tile`), or per tile and 2×2 block of its g×g query grid (`block`, blocks
 * of ⌈g/2⌉ cells a side). Empty groups are left out; order: tile, then block.
 */
export function cellGroups(kept: Int32Array, cols: number, g: number, granularity: 'tile' | 'block'): CellGroup[] {
  const half = Math.ceil(g / 2);
  const byKey = new Map<string, CellGroup>();
  for (const j of kept) {
    const gr = Math.floor(j / (cols * g));
    const gc = j % (cols * g);
    const tile = Math.floor(gr / g) * cols + Math.floor(gc / g);
    const block = granularity === 'block' ? Math.floor((gr % g) / half) * 2 + Math.floor((gc % g) / half) : -1;
    const key = `${tile}:${block}`;
    let group = byKey.get(key);
    if (!group) byKey.set(key, (group = { label: block < 0 ? `tile ${tile}` : `tile ${tile} block ${block}`, tile, cells: [] }));
    group.cells.push(j);
  }
  const blockOf = (l: string): number => Number(l.split(' ')[3] ?? -1);
  return [...byKey.values()].sort((a, b) => a.tile - b.tile || blockOf(a.label) - blockOf(b.label));
}

/** Precision at k of the selector-mass ranking against the drop ranking (see {@link OcclusionResult}). */
export function agreementOf(groups: readonly Pick<OcclusionGroup, 'drop' | 'selectorMass'>[]): OcclusionResult['agreement'] {
  if (groups.length === 0) return { k: 0, value: null, selectorTop: [], dropTop: [] };
  const k = Math.max(1, Math.ceil(groups.length / 4));
  const rank = (key: 'drop' | 'selectorMass'): number[] =>
    groups
      .map((_, i) => i)
      .sort((a, b) => groups[b]![key] - groups[a]![key] || a - b)
      .slice(0, k);
  const selectorTop = rank('selectorMass');
  const dropTop = rank('drop');
  return { k, value: selectorTop.filter((i) => dropTop.includes(i)).length / k, selectorTop, dropTop };
}

/** Σ log p(answer tokens) after `rows`, teacher-forced on `kv` from the longest prefix it already holds. */
async function answerLogProb(
  model: LoadedModel,
  kv: KvCache,
  seq: { embeds: Float32Array; rows: string[] },
  answer: { ids: number[]; embeds: Float32Array },
  signal: AbortSignal,
): Promise<{ logProb: number; reused: number; computed: number }> {
  const H = model.manifest.llm.hidden;
  return kv.lease('occlusion', async () => {
    const reused = Math.min(commonPrefix(kv.rows, seq.rows), seq.rows.length - 1);
    kv.truncate(reused);
    let logits = await decoderStep(model, kv, seq.embeds.subarray(reused * H), seq.rows.slice(reused));
    let sum = 0;
    for (let k = 0; k < answer.ids.length; k++) {
      sum += logSoftmaxAt(logits, answer.ids[k]!);
      if (k + 1 === answer.ids.length) break;
      checkAbort(signal);
      logits = await decoderStep(model, kv, answer.embeds.subarray(k * H, (k + 1) * H), [`t${answer.ids[k]}`]);
    }
    return { logProb: sum, reused, computed: seq.rows.length - reused };
  });
}

/** The ask arguments that reproduce the answer's prompt and kept set. */
function askArgsOf(req: OcclusionArgs): AskArgs {
  return {
    requestId: req.requestId,
    image: req.image,
    question: req.question,
    history: req.history,
    ...(req.systemPrompt === undefined ? {} : { systemPrompt: req.systemPrompt }),
    sampling: {},
    selector: req.selector,
  };
}

/** The assembled rows without `drop`'s cells (the separator stays: the structure is the kept-set one). */
function without(model: LoadedModel, p: Prepared, drop: ReadonlySet<number>): { embeds: Float32Array; rows: string[] } {
  const kept = p.selection.kept.filter((j) => !drop.has(j));
  return assemble(p.prompt.ids, p.prompt.text, model.manifest.llm.hidden, p.enc.features, kept, false, model.manifest.separator_id);
}

/** Runs the occlusion job (see the file comment). */
export async function occlusion(
  model: LoadedModel,
  caches: { features: FeatureCache; kv: KvCache },
  req: OcclusionArgs,
  signal: AbortSignal,
  emit: (p: unknown) => void,
): Promise<OcclusionResult> {
  const t0 = performance.now();
  const p = await prepare(model, caches.features, askArgsOf(req), signal, () => undefined);
  const answer = { ids: req.tokenIds, embeds: await runEmbed(model, req.tokenIds) };
  const { cols } = p.enc.features.geometry.grid;
  const groups = cellGroups(p.selection.kept, cols, model.manifest.projector.local_grid, req.granularity);
  const total = groups.length + 1;
  const progress = (done: number, label: string): void =>
    emit({ kind: 'progress', requestId: req.requestId, job: 'occlusion', done, total, label });
  progress(0, 'baseline');
  const base = await answerLogProb(model, caches.kv, p.seq, answer, signal);
  const rows = { computed: base.computed, reused: base.reused };
  const scored: OcclusionGroup[] = groups.map((g) => ({
    ...g,
    logProb: 0,
    drop: 0,
    selectorMass: g.cells.reduce((a, j) => a + p.selection.probs[j]!, 0),
  }));
  // Descending first dropped cell: each group's rows share with the cache everything before its own first cell.
  const order = scored.map((_, i) => i).sort((a, b) => scored[b]!.cells[0]! - scored[a]!.cells[0]!);
  for (const [n, i] of order.entries()) {
    checkAbort(signal);
    const g = scored[i]!;
    const r = await answerLogProb(model, caches.kv, without(model, p, new Set(g.cells)), answer, signal);
    g.logProb = r.logProb;
    g.drop = base.logProb - r.logProb;
    rows.computed += r.computed;
    rows.reused += r.reused;
    progress(n + 1, g.label);
  }
  const cellDrop: (number | null)[] = new Array<number | null>(p.selection.scores.length).fill(null);
  for (const g of scored) for (const j of g.cells) cellDrop[j] = g.drop;
  return {
    requestId: req.requestId,
    granularity: req.granularity,
    baseline: { logProb: base.logProb, keptLocal: p.selection.kept.length, answerTokens: answer.ids.length },
    groups: scored,
    cellDrop,
    agreement: agreementOf(scored),
    rows,
    ms: performance.now() - t0,
  };
}
