// Compact provenance from an engine inspection record: what the export sidecar keeps per example (database worker).
import type { InspectionRecord } from '../electron/shared/ipc/inference.ts';

/** The preprocessing, token counts, selector settings with the kept count, sampling and providers of an answer; null when `inspection` is not a record. */
export function inspectionSummary(inspection: unknown): Record<string, unknown> | null {
  if (typeof inspection !== 'object' || inspection === null) return null;
  const r = inspection as Partial<InspectionRecord>;
  if (!r.grid || !r.tokens || !r.selector) return null;
  const kept = Array.isArray(r.selector.kept) ? r.selector.kept.reduce((n, k) => n + (k ? 1 : 0), 0) : null;
  return {
    original: r.original ?? null,
    grid: r.grid,
    globalView: r.globalView ?? null,
    tileSize: r.tileSize ?? null,
    tokens: r.tokens,
    selector: {
      mode: r.selector.mode,
      topP: r.selector.topP,
      temperature: r.selector.temperature,
      kept,
      of: r.selector.kept?.length ?? null,
      /** An explicit kept set (`selector.keep`) replaced the top-p decision: `{ kind: 'keep', count }`. */
      override: r.selector.override ?? null,
    },
    sampling: r.sampling ?? null,
    providers: r.providers ?? null,
    stopReason: r.stopReason ?? null,
  };
}
