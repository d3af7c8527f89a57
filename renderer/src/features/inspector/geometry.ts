// Renderer: maps the inspection record's token indices to rectangles of the original image (pure functions).
// (Relative type imports, not $shared: unit tests type-check this file under the root tsconfig, which has no alias.)
import type { InspectionRecord } from '../../../../electron/shared/ipc/inference.ts';
import { cellsUnder, keptSelection } from '../../../../electron/shared/mining/coverage.ts';

/** A rectangle in original-image pixels. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A box as the dataset stores it (x1,y1 top-left; x2,y2 bottom-right). */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

function clip(r: Rect, w: number, h: number): Rect {
  const x = Math.max(0, Math.min(w, r.x));
  const y = Math.max(0, Math.min(h, r.y));
  return { x, y, width: Math.max(0, Math.min(w, r.x + r.width) - x), height: Math.max(0, Math.min(h, r.y + r.height) - y) };
}

/** Canvas pixels → original pixels (the image was resized onto the canvas at imageX/imageY). */
export function canvasToOriginal(record: InspectionRecord, r: Rect): Rect {
  const c = record.canvas;
  const sx = record.original.width / c.imageWidth;
  const sy = record.original.height / c.imageHeight;
  return clip(
    { x: (r.x - c.imageX) * sx, y: (r.y - c.imageY) * sy, width: r.width * sx, height: r.height * sy },
    record.original.width,
    record.original.height,
  );
}

/** The original-image rectangle of local token `j` (raster order over the whole local grid); may be empty (padding). */
export function tokenRect(record: InspectionRecord, j: number): Rect {
  const q = record.localGrid;
  const perRow = record.grid.cols * q;
  const cell = record.tileSize / q;
  const gr = Math.floor(j / perRow);
  const gc = j % perRow;
  return canvasToOriginal(record, { x: gc * cell, y: gr * cell, width: cell, height: cell });
}

/** The original-image rectangle of tile `index`, from the record's canvas geometry. */
export function tileRect(record: InspectionRecord, index: number): Rect {
  const S = record.tileSize;
  const col = index % record.grid.cols;
  const row = Math.floor(index / record.grid.cols);
  return canvasToOriginal(record, { x: col * S, y: row * S, width: S, height: S });
}

/** The index of the highest-scoring local token (the hottest cell of the heatmap). */
export function hottestToken(record: InspectionRecord): number {
  const s = record.selector.scores;
  let best = 0;
  for (let j = 1; j < s.length; j++) if (s[j]! > s[best]!) best = j;
  return best;
}

/** Side of the global patch grid the router weights are laid on (routerWeights is [patches, 2]). */
export function routerGrid(record: InspectionRecord): number {
  return Math.round(Math.sqrt(record.routerWeights.length / 2));
}

/** The original-image rectangle of global patch `p` (the global view squashes the whole image). */
export function globalPatchRect(record: InspectionRecord, p: number): Rect {
  const g = routerGrid(record);
  const w = record.original.width / g;
  const h = record.original.height / g;
  return { x: (p % g) * w, y: Math.floor(p / g) * h, width: w, height: h };
}

/** Whether two rectangles overlap with positive area. */
export function intersects(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

/** A box as a rectangle. */
export function boxRect(b: Box): Rect {
  return { x: Math.min(b.x1, b.x2), y: Math.min(b.y1, b.y2), width: Math.abs(b.x2 - b.x1), height: Math.abs(b.y2 - b.y1) };
}

/**
 * Local tokens whose cells overlap `box` (stored with a region): the evidence-coverage code's `cellsUnder`, so the
 * inspector, the save dialog and the review queue count the same cells.
 */
export function tokensInBox(record: InspectionRecord, box: Box): number[] {
  const sel = keptSelection(record);
  return sel ? cellsUnder(sel, box) : [];
}

/** Kept local tokens per tile. */
export function keptPerTile(record: InspectionRecord): { kept: number; total: number }[] {
  const out = Array.from({ length: record.grid.tiles }, () => ({ kept: 0, total: 0 }));
  record.selector.tile.forEach((t, j) => {
    const slot = out[t];
    if (!slot) return;
    slot.total++;
    slot.kept += record.selector.kept[j] ?? 0;
  });
  return out;
}

/** How many local tokens lie wholly on the tile padding (outside the photo): up to a third of them on some grids. */
export function paddingTokens(record: InspectionRecord): number {
  let padded = 0;
  for (let j = 0; j < record.tokens.localBefore; j++) {
    const r = tokenRect(record, j);
    if (r.width <= 0 || r.height <= 0) padded++;
  }
  return padded;
}

/** The local token whose cell holds original-image point (x, y), or null when the point is outside the local grid. */
export function tokenAt(record: InspectionRecord, x: number, y: number): number | null {
  const c = record.canvas;
  const cx = (x * c.imageWidth) / record.original.width + c.imageX;
  const cy = (y * c.imageHeight) / record.original.height + c.imageY;
  const cell = record.tileSize / record.localGrid;
  const perRow = record.grid.cols * record.localGrid;
  const gc = Math.floor(cx / cell);
  const gr = Math.floor(cy / cell);
  if (gc < 0 || gr < 0 || gc >= perRow || gr >= record.grid.rows * record.localGrid) return null;
  return gr * perRow + gc;
}

/** Every local token of tile `t` (raster indices, ascending). */
export function tileTokens(record: InspectionRecord, t: number): number[] {
  const out: number[] = [];
  record.selector.tile.forEach((tile, j) => {
    if (tile === t) out.push(j);
  });
  return out;
}

/** Indices whose kept flag is set. */
export function keptIndices(record: InspectionRecord): number[] {
  const out: number[] = [];
  record.selector.kept.forEach((k, j) => {
    if (k) out.push(j);
  });
  return out;
}
