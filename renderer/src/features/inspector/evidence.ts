// Renderer: evidence coverage of regions on the inspected record — the mining code's coverage functions
// (electron/shared/mining/coverage.ts, what the review queue's "dropped evidence" flag counts) plus the cells under
// each region, so the inspector draws exactly the cells it counts.
import type { InspectionRecord } from '../../../../electron/shared/ipc/inference.ts';
import type { RegionCoverage } from '../../../../electron/shared/ipc/miningTypes.ts';
import { DROPPED_BELOW, cellsUnder, keptSelection, regionCoverage } from '../../../../electron/shared/mining/coverage.ts';

/** A region in original-image pixels: an example's stored region (its id) or the box drawn in the inspector (id 0). */
export interface EvidenceRegion {
  id: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  note?: string;
}

/** One region with its coverage by the record's kept cells. */
export interface RegionEvidence {
  region: EvidenceRegion;
  /** Its number as shown (1-based, in the order given). */
  n: number;
  coverage: RegionCoverage;
  /** The local cells under it (kept or not). */
  cells: number[];
  /** Kept share below the threshold: the selector dropped this evidence. */
  dropped: boolean;
}

/** Coverage of `regions` by `record`'s kept cells; [] when the record has no selector geometry. */
export function evidenceOf(record: InspectionRecord, regions: readonly EvidenceRegion[], below = DROPPED_BELOW): RegionEvidence[] {
  const sel = keptSelection(record);
  if (!sel || regions.length === 0) return [];
  const coverage = regionCoverage(sel, regions);
  return regions.map((region, i) => ({
    region,
    n: i + 1,
    coverage: coverage[i]!,
    cells: cellsUnder(sel, region),
    dropped: coverage[i]!.share < below,
  }));
}

/** "3 of 8 cells kept (38%)". */
export function coverageText(c: RegionCoverage): string {
  return `${c.kept} of ${c.cells} cell${c.cells === 1 ? '' : 's'} kept (${(100 * c.share).toFixed(0)}%)`;
}
