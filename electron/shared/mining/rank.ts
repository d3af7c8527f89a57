// The combined "needs local detail" rank and the sweep's instability (SESSION2-PLAN.md "Shared definitions"; the
// Python mirror is models/mine). Pure TypeScript: the Node job runner computes it, the database worker sorts by it.

/** The signals the rank combines; null = not available (counts as 0 and is named in `missing`). */
export interface RankInputs {
  /** Detail score: full − global-only mean answer log-likelihood. */
  detail: number | null;
  /** Share (0..1) of the 4 non-shipped sweep settings whose answer differs from the shipped one. */
  instability: number | null;
  /** First answer token: top-1 minus top-2 probability at the shipped setting. */
  margin: number | null;
  /** Whether the image is like the model's training images; null when the model folder has no ood.json. */
  inDist: boolean | null;
}

/**
 * needs = 0.5·d + 0.35·u + 0.15·m, minus 1 when out of distribution, with d = 1 − exp(−max(0, detail)),
 * u = instability, m = 1 − margin. Every term lies in [0, 1], so any in-distribution row (≥ 0) sorts above any
 * OOD row (< 0). A missing inDist counts as in distribution (the guard is unavailable, not failed).
 */
export function needsDetail(s: RankInputs): { needs: number; missing: string[] } {
  const missing: string[] = [];
  if (s.detail === null) missing.push('detail');
  if (s.instability === null) missing.push('instability');
  if (s.margin === null) missing.push('margin');
  if (s.inDist === null) missing.push('ood');
  const d = s.detail === null ? 0 : 1 - Math.exp(-Math.max(0, s.detail));
  const u = s.instability ?? 0;
  const m = s.margin === null ? 0 : 1 - s.margin;
  const score = 0.5 * d + 0.35 * u + 0.15 * m;
  return { needs: s.inDist === false ? score - 1 : score, missing };
}

/** The first character index where `a` and `b` differ; null when identical. */
export function divergeAt(a: string, b: string): number | null {
  if (a === b) return null;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

/** Instability: the share of non-shipped settings whose answer differs from the shipped one (of 4 by definition). */
export function instability(shipped: string, others: readonly string[]): number {
  if (others.length === 0) return 0;
  return others.filter((a) => a !== shipped).length / others.length;
}
