// Evidence coverage: for a region drawn on an example, the share of the selector's local cells under it that were
// kept for the answer. Pure TypeScript: the database worker computes it on read (so it follows region edits) and the
// inspector draws it from the same functions.
import type { InspectionRecord } from '../ipc/inference.ts';
import type { KeptSelection, RegionCoverage } from '../ipc/miningTypes.ts';

/** A region box in original-image pixels. */
export interface Box {
  id: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** Below this kept share a region counts as "the selector dropped the evidence" (default of the review filter). */
export const DROPPED_BELOW = 0.5;

/**
 * Local cells whose canvas rectangle overlaps the box (mapped from original pixels onto the canvas where the resized
 * image sits). The local grid is (rows·q) × (cols·q) over the whole canvas, raster order. The box is normalised
 * (corners in any order) and clipped to the image, so cells wholly on tile padding are never under it.
 */
export function cellsUnder(sel: KeptSelection, box: Omit<Box, 'id'> & { id?: number }): number[] {
  const q = sel.localGrid;
  const gw = sel.grid.cols * q;
  const gh = sel.grid.rows * q;
  const { width: W, height: H } = sel.original;
  const x1 = Math.max(0, Math.min(box.x1, box.x2));
  const x2 = Math.min(W, Math.max(box.x1, box.x2));
  const y1 = Math.max(0, Math.min(box.y1, box.y2));
  const y2 = Math.min(H, Math.max(box.y1, box.y2));
  if (!(x2 > x1 && y2 > y1)) return [];
  const sx = sel.canvas.imageWidth / W;
  const sy = sel.canvas.imageHeight / H;
  const cx1 = sel.canvas.imageX + x1 * sx;
  const cx2 = sel.canvas.imageX + x2 * sx;
  const cy1 = sel.canvas.imageY + y1 * sy;
  const cy2 = sel.canvas.imageY + y2 * sy;
  const cw = sel.canvas.width / gw;
  const ch = sel.canvas.height / gh;
  const c0 = Math.max(0, Math.floor(cx1 / cw));
  const c1 = Math.min(gw - 1, Math.ceil(cx2 / cw) - 1);
  const r0 = Math.max(0, Math.floor(cy1 / ch));
  const r1 = Math.min(gh - 1, Math.ceil(cy2 / ch) - 1);
  const cells: number[] = [];
  for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) cells.push(r * gw + c);
  return cells;
}

/** The selector's kept cells and the geometry to map regions onto them, from an inspection record; null when incomplete. */
export function keptSelection(inspection: unknown): KeptSelection | null {
  const r = inspection as Partial<InspectionRecord> | null;
  if (!r?.original || !r.grid || !r.canvas || !r.localGrid || !Array.isArray(r.selector?.kept)) return null;
  const kept: number[] = [];
  r.selector.kept.forEach((k, j) => {
    if (k) kept.push(j);
  });
  return { original: r.original, grid: { cols: r.grid.cols, rows: r.grid.rows }, localGrid: r.localGrid, canvas: r.canvas, kept };
}

/** Coverage of each region by the kept cells. */
export function regionCoverage(sel: KeptSelection, boxes: readonly Box[]): RegionCoverage[] {
  const kept = new Set(sel.kept);
  return boxes.map((box) => {
    const cells = cellsUnder(sel, box);
    const k = cells.filter((c) => kept.has(c)).length;
    return { regionId: box.id, cells: cells.length, kept: k, share: cells.length === 0 ? 0 : k / cells.length };
  });
}

/** True when some region kept less than `below` of its cells. */
export function evidenceDropped(coverage: readonly RegionCoverage[], below = DROPPED_BELOW): boolean {
  return coverage.some((c) => c.share < below);
}
