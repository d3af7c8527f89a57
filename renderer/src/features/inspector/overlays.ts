// Renderer: draws the inspector overlays (tile grid, selector heatmap with kept/dropped, router weights, region)
// onto a 2D canvas laid over the original image; `scale` = canvas pixels per original pixel.
import type { InspectionRecord } from '$shared/ipc/inference.ts';
import { rampColor } from '$shared/heatmap.ts';
import type { RegionEvidence } from './evidence.ts';
import {
  boxRect,
  canvasToOriginal,
  globalPatchRect,
  hottestToken,
  routerGrid,
  tileRect,
  tokenRect,
  type Box,
  type Rect,
} from './geometry.ts';

/** Which overlays are on. */
export interface OverlayOptions {
  grid: boolean;
  heatmap: boolean;
  router: boolean;
  /** Heat value: the raw selector score, the final probability, or the compressor attention refined onto patches. */
  heatValue: 'score' | 'prob' | 'attention';
  opacity: number;
}

/** The heat colour of t in [0, 1]: the shared greyscale-safe ramp (electron/shared/heatmap.ts), also used by PNG exports. */
export function heatColor(t: number): [number, number, number] {
  return rampColor(t);
}

/**
 * Dropped cells: a dark wash with light diagonal stripes, told apart from the ramp's dark end in greyscale too; the wash
 * is at most 0.4 opaque so the photo under a dropped cell stays visible.
 */
function hatch(ctx: CanvasRenderingContext2D, alpha: number): CanvasPattern | string {
  const tile = document.createElement('canvas');
  tile.width = tile.height = 8;
  const t = tile.getContext('2d');
  if (!t) return `rgba(20,20,24,${alpha})`;
  t.fillStyle = `rgba(20,20,24,${alpha})`;
  t.fillRect(0, 0, 8, 8);
  t.strokeStyle = `rgba(255,255,255,${Math.min(0.85, alpha * 1.4)})`;
  t.lineWidth = 1.5;
  t.beginPath();
  t.moveTo(0, 8);
  t.lineTo(8, 0);
  t.stroke();
  return ctx.createPattern(tile, 'repeat') ?? `rgba(20,20,24,${alpha})`;
}

function fillRect(ctx: CanvasRenderingContext2D, r: Rect, scale: number): void {
  ctx.fillRect(r.x * scale, r.y * scale, r.width * scale, r.height * scale);
}

function range(values: number[]): { min: number; span: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, span: max - min || 1 };
}

/** Σ_q p_q·attn over kept queries, per tile patch: finer than the query cells (see InspectionRecord.attentionHeat). */
function drawAttention(ctx: CanvasRenderingContext2D, rec: InspectionRecord, scale: number, o: OverlayOptions): void {
  const heat = rec.attentionHeat;
  if (!heat) return;
  const P = heat.patchGrid;
  const { min, span } = range(heat.data);
  const side = rec.tileSize / P;
  for (let i = 0; i < heat.data.length; i++) {
    const tile = Math.floor(i / (P * P));
    const p = i % (P * P);
    const x = (tile % rec.grid.cols) * rec.tileSize + (p % P) * side;
    const y = Math.floor(tile / rec.grid.cols) * rec.tileSize + Math.floor(p / P) * side;
    const r = canvasToOriginal(rec, { x, y, width: side, height: side });
    if (r.width <= 0 || r.height <= 0) continue;
    const t = (heat.data[i]! - min) / span;
    const [cr, cg, cb] = heatColor(t);
    ctx.fillStyle = `rgba(${cr},${cg},${cb},${o.opacity * (0.25 + 0.75 * t)})`;
    fillRect(ctx, r, scale);
  }
}

function drawHeatmap(ctx: CanvasRenderingContext2D, rec: InspectionRecord, scale: number, o: OverlayOptions): void {
  if (o.heatValue === 'attention' && rec.attentionHeat) {
    drawAttention(ctx, rec, scale, o);
    return;
  }
  const values = o.heatValue === 'prob' ? rec.selector.probs : rec.selector.scores;
  const { min, span } = range(values);
  const dropped = hatch(ctx, Math.min(0.4, o.opacity));
  for (let j = 0; j < values.length; j++) {
    const r = tokenRect(rec, j);
    if (r.width <= 0 || r.height <= 0) continue;
    if (rec.selector.kept[j]) {
      const [cr, cg, cb] = heatColor((values[j]! - min) / span);
      ctx.fillStyle = `rgba(${cr},${cg},${cb},${o.opacity})`;
    } else {
      ctx.fillStyle = dropped;
    }
    fillRect(ctx, r, scale);
  }
}

/** Outlines the hottest cell (drawn last, above the grid labels). */
function drawHottest(ctx: CanvasRenderingContext2D, rec: InspectionRecord, scale: number): void {
  const hot = tokenRect(rec, hottestToken(rec));
  const w = Math.max(2, 2.5 * scale);
  ctx.lineWidth = w * 2;
  ctx.strokeStyle = 'rgba(0,0,0,0.7)';
  ctx.strokeRect(hot.x * scale, hot.y * scale, hot.width * scale, hot.height * scale);
  ctx.lineWidth = w;
  ctx.strokeStyle = '#ffffff';
  ctx.strokeRect(hot.x * scale, hot.y * scale, hot.width * scale, hot.height * scale);
}

function drawRouter(ctx: CanvasRenderingContext2D, rec: InspectionRecord, scale: number, o: OverlayOptions): void {
  const patches = routerGrid(rec) ** 2;
  for (let p = 0; p < patches; p++) {
    const w = rec.routerWeights[p * 2 + 1] ?? 0;
    const [cr, cg, cb] = heatColor(w);
    ctx.fillStyle = `rgba(${cr},${cg},${cb},${o.opacity * 0.9})`;
    fillRect(ctx, globalPatchRect(rec, p), scale);
  }
}

function drawGrid(ctx: CanvasRenderingContext2D, rec: InspectionRecord, scale: number): void {
  ctx.lineWidth = Math.max(1.5, 2 * scale);
  ctx.font = `${Math.max(12, Math.round(14 * scale))}px system-ui, sans-serif`;
  for (let t = 0; t < rec.grid.tiles; t++) {
    const r = tileRect(rec, t);
    if (r.width <= 0 || r.height <= 0) continue;
    ctx.strokeStyle = 'rgba(0,0,0,0.55)';
    ctx.strokeRect(r.x * scale + 1, r.y * scale + 1, r.width * scale - 2, r.height * scale - 2);
    ctx.strokeStyle = 'rgba(255,255,255,0.95)';
    ctx.strokeRect(r.x * scale, r.y * scale, r.width * scale, r.height * scale);
    ctx.fillStyle = 'rgba(0,0,0,0.6)';
    ctx.fillRect(r.x * scale + 4, r.y * scale + 4, 26 * Math.max(1, scale), 18 * Math.max(1, scale));
    ctx.fillStyle = '#fff';
    ctx.fillText(String(t + 1), r.x * scale + 9, r.y * scale + 18 * Math.max(1, scale));
  }
}

/** A box drawn by the user. */
export function drawBox(ctx: CanvasRenderingContext2D, box: Box, scale: number): void {
  const r = boxRect(box);
  ctx.setLineDash([8, 5]);
  ctx.lineWidth = Math.max(2, 2.5 * scale);
  ctx.strokeStyle = '#ff3b8d';
  ctx.strokeRect(r.x * scale, r.y * scale, r.width * scale, r.height * scale);
  ctx.setLineDash([]);
  ctx.fillStyle = 'rgba(255,59,141,0.12)';
  fillRect(ctx, r, scale);
}

/** Cells chosen for an intervention: a thick dark outline under a white dashed one (visible on any colour and in grey). */
function drawSelected(ctx: CanvasRenderingContext2D, rec: InspectionRecord, scale: number, cells: readonly number[]): void {
  const w = Math.max(1.5, 2 * scale);
  for (const j of cells) {
    const r = tokenRect(rec, j);
    if (r.width <= 0 || r.height <= 0) continue;
    ctx.fillStyle = 'rgba(255,255,255,0.18)';
    fillRect(ctx, r, scale);
    ctx.setLineDash([]);
    ctx.lineWidth = w * 2;
    ctx.strokeStyle = 'rgba(0,0,0,0.8)';
    ctx.strokeRect(r.x * scale + w, r.y * scale + w, r.width * scale - 2 * w, r.height * scale - 2 * w);
    ctx.setLineDash([4 * w, 2 * w]);
    ctx.lineWidth = w;
    ctx.strokeStyle = '#ffffff';
    ctx.strokeRect(r.x * scale + w, r.y * scale + w, r.width * scale - 2 * w, r.height * scale - 2 * w);
  }
  ctx.setLineDash([]);
}

/** A line drawn twice: a dark halo under a light stroke (visible on any colour and in greyscale). */
function haloLine(ctx: CanvasRenderingContext2D, path: () => void, w: number, light: string): void {
  ctx.lineWidth = w * 2.2;
  ctx.strokeStyle = 'rgba(0,0,0,0.75)';
  ctx.beginPath();
  path();
  ctx.stroke();
  ctx.lineWidth = w;
  ctx.strokeStyle = light;
  ctx.beginPath();
  path();
  ctx.stroke();
}

/**
 * Evidence coverage: each region's outline with its number and kept count, and every cell under it marked by shape —
 * a kept cell gets a solid light frame, a dropped cell a cross — so the states read in greyscale too.
 */
export function drawEvidence(
  ctx: CanvasRenderingContext2D,
  rec: InspectionRecord,
  scale: number,
  evidence: readonly RegionEvidence[],
): void {
  const w = Math.max(1.5, 2 * scale);
  const labels: { e: RegionEvidence; b: Rect }[] = [];
  for (const e of evidence) {
    for (const j of e.cells) {
      const r = tokenRect(rec, j);
      if (r.width <= 0 || r.height <= 0) continue;
      const [x, y, cw, ch] = [r.x * scale + 2 * w, r.y * scale + 2 * w, r.width * scale - 4 * w, r.height * scale - 4 * w];
      if (rec.selector.kept[j]) haloLine(ctx, () => ctx.rect(x, y, cw, ch), w, '#ffffff');
      else
        haloLine(
          ctx,
          () => {
            ctx.moveTo(x, y);
            ctx.lineTo(x + cw, y + ch);
            ctx.moveTo(x + cw, y);
            ctx.lineTo(x, y + ch);
          },
          w,
          '#ffb224',
        );
    }
    const b = boxRect(e.region);
    // The box drawn in the inspector (id 0) keeps its own dashed outline; stored regions get the dataset's orange.
    if (e.region.id !== 0) haloLine(ctx, () => ctx.rect(b.x * scale, b.y * scale, b.width * scale, b.height * scale), w * 1.3, '#ffb224');
    labels.push({ e, b });
  }
  drawEvidenceLabels(ctx, scale, labels);
}

/**
 * A small "R1" tag just outside each region's top-left corner (inside the image), matching the evidence list below the
 * image; kept under half a cell so it never hides a cell's centre mark. Counts are in the list.
 */
function drawEvidenceLabels(ctx: CanvasRenderingContext2D, scale: number, labels: { e: RegionEvidence; b: Rect }[]): void {
  const size = Math.max(10, Math.round(11 * scale));
  ctx.font = `700 ${size}px system-ui, sans-serif`;
  for (const { e, b } of labels) {
    const text = `R${e.n}`;
    const w = ctx.measureText(text).width + size * 0.6;
    const h = size * 1.25;
    const x = Math.max(0, b.x * scale - w);
    const y = Math.max(0, b.y * scale - h);
    ctx.fillStyle = '#ffb224';
    ctx.fillRect(x, y, w, h);
    ctx.fillStyle = '#000';
    ctx.fillText(text, x + size * 0.3, y + size);
  }
}

/** Clears `ctx` and draws the overlays that are on, the evidence coverage, the cells selected for an intervention, then the region. */
export function drawOverlays(
  ctx: CanvasRenderingContext2D,
  rec: InspectionRecord | null,
  scale: number,
  o: OverlayOptions,
  region: Box | null,
  selected: readonly number[] = [],
  evidence: readonly RegionEvidence[] = [],
): void {
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  if (rec) {
    // Two stacked layers each at `opacity` would hide the photo (1 − (1 − a)²); split it so together they cover `opacity`.
    const layered = o.router && o.heatmap ? { ...o, opacity: 1 - Math.sqrt(1 - o.opacity) } : o;
    if (o.router) drawRouter(ctx, rec, scale, layered);
    if (o.heatmap) drawHeatmap(ctx, rec, scale, layered);
    if (o.grid) drawGrid(ctx, rec, scale);
    if (o.heatmap) drawHottest(ctx, rec, scale);
    if (evidence.length) drawEvidence(ctx, rec, scale, evidence);
    if (selected.length) drawSelected(ctx, rec, scale, selected);
  }
  if (region) drawBox(ctx, region, scale);
}
