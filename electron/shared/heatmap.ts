// The heatmap renderer shared by `slime ask --heatmap` (composited onto the photo by sharp) and the inspector
// (drawn over the photo on screen and exported as PNG): one SVG in original-image pixels — one cell per local token
// (kept cells coloured by value, dropped cells dark and hatched), the tile grid with tile numbers, and an optional
// legend band below, and optionally an example's regions with the kept/dropped state of the selector cells under them
// (the inspector's evidence-coverage overlay). Pure TypeScript (runs in the CLI, main and the renderer).
import type { InspectionRecord } from './ipc/inference.ts';
import { cellsUnder, keptSelection } from './mining/coverage.ts';

/**
 * A sequential ramp whose lightness rises monotonically (viridis stops: dark purple → blue → teal → green → yellow),
 * so the order of values survives greyscale printing and the common colour-vision deficiencies. t in [0, 1].
 */
export function rampColor(t: number): [number, number, number] {
  const stops: [number, number, number][] = [
    [68, 1, 84],
    [65, 68, 135],
    [42, 120, 142],
    [34, 168, 132],
    [122, 209, 81],
    [253, 231, 37],
  ];
  const x = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** A CSS linear-gradient of the ramp (legends). */
export function rampGradient(direction = 'to right'): string {
  return `linear-gradient(${direction}, ${[0, 0.2, 0.4, 0.6, 0.8, 1].map((t) => `rgb(${rampColor(t).join(',')})`).join(', ')})`;
}

/** Which values the cells show. */
export type HeatLayer =
  /** The selector's probability, rank-normalised over all local tokens (the CLI's map). */
  | { kind: 'selector' }
  /** The occlusion drop per cell (null = not kept); 0 … the largest drop, drops ≤ 0 at the bottom of the ramp. */
  | { kind: 'occlusion'; cellDrop: (number | null)[] };

/** Rendering options. */
export interface HeatmapOptions {
  /** Fill opacity of kept cells (default 0.45: the photo stays visible). */
  opacity?: number;
  /** Draw a legend band below the image (the SVG grows by {@link LEGEND_HEIGHT} rows and to at least {@link LEGEND_MIN_WIDTH}). */
  legend?: boolean;
  /** A caption for the legend band (e.g. the question). */
  caption?: string;
  /**
   * Regions (original-image pixels) drawn with the cells under them: a kept cell framed, a dropped cell crossed, each
   * region outlined and tagged "R1", "R2"… in the order given (the inspector's evidence coverage). None or [] draws nothing.
   */
  regions?: readonly HeatRegion[];
}

/** A region box in original-image pixels (corners in any order); id 0 is the box drawn in the inspector (no outline). */
export interface HeatRegion {
  id?: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** Extra legend height when regions are drawn (one more line: the frame, the cross and the region tag). */
export const LEGEND_REGIONS_HEIGHT = 18;
/** Colour of crossed (dropped) cells, region outlines and tags — the inspector's dataset orange. */
export const EVIDENCE_COLOR = '#ffb224';

/** Height of the legend band in pixels (three lines: the scale, the hatching and grid, the caption). */
export const LEGEND_HEIGHT = 60;
/** Minimum width of an SVG with a legend band. */
export const LEGEND_MIN_WIDTH = 420;

const esc = (s: string): string => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
const f2 = (n: number): string => n.toFixed(2);
/** `s` cut with an ellipsis to about `px` pixels of 11 px sans-serif (~6.2 px a character). */
const fit = (s: string, px: number): string => {
  const n = Math.max(8, Math.floor(px / 6.2));
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
};

/** Per-cell value in [0, 1], or null for a dropped cell. */
function cellValues(i: InspectionRecord, layer: HeatLayer): (number | null)[] {
  if (layer.kind === 'occlusion') {
    const max = Math.max(1e-12, ...layer.cellDrop.map((d) => d ?? 0));
    return layer.cellDrop.map((d) => (d === null ? null : Math.max(0, d) / max));
  }
  const probs = i.selector.probs;
  const sorted = [...probs].sort((a, b) => a - b);
  const rank = (p: number): number => (sorted.length > 1 ? sorted.indexOf(p) / (sorted.length - 1) : 1);
  return probs.map((p, j) => (i.selector.kept[j] === 1 ? rank(p) : null));
}

function legendBand(i: InspectionRecord, layer: HeatLayer, width: number, caption: string | undefined): string {
  const y = i.original.height;
  const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => `<stop offset="${t}" stop-color="rgb(${rampColor(t).join(',')})"/>`).join('');
  const what = layer.kind === 'selector' ? 'selector probability (rank): low → high' : 'answer log-prob drop when occluded: 0 → max';
  const max = layer.kind === 'occlusion' ? Math.max(0, ...layer.cellDrop.map((d) => d ?? 0)) : null;
  return [
    `<defs><linearGradient id="ramp">${stops}</linearGradient></defs>`,
    `<rect x="0" y="${y}" width="${width}" height="${LEGEND_HEIGHT}" fill="#fff"/>`,
    `<rect x="8" y="${y + 8}" width="90" height="12" fill="url(#ramp)" stroke="#000" stroke-width="0.5"/>`,
    `<text x="104" y="${y + 18}" font-family="sans-serif" font-size="11" fill="#000">${esc(what)}${max === null ? '' : ` (${max.toFixed(3)} nats)`}</text>`,
    `<rect x="8" y="${y + 26}" width="12" height="12" fill="url(#hatch)" stroke="#000" stroke-width="0.5"/>`,
    `<text x="24" y="${y + 36}" font-family="sans-serif" font-size="11" fill="#000">not kept · ${i.grid.cols}×${i.grid.rows} tiles (numbered), ${i.tokens.localAfter}/${i.tokens.localBefore} cells kept</text>`,
    caption ? `<text x="8" y="${y + 53}" font-family="sans-serif" font-size="11" fill="#000">${esc(fit(caption, width - 16))}</text>` : '',
  ].join('');
}

/** Original-image rectangle of local cell `j` (raster order over the whole canvas), clipped to the image. */
function cellBox(i: InspectionRecord, j: number): { x: number; y: number; w: number; h: number } {
  const perRow = i.grid.cols * i.localGrid;
  const cell = i.tileSize / i.localGrid;
  const sx = i.original.width / i.canvas.imageWidth;
  const sy = i.original.height / i.canvas.imageHeight;
  const x1 = Math.max(0, ((j % perRow) * cell - i.canvas.imageX) * sx);
  const y1 = Math.max(0, (Math.floor(j / perRow) * cell - i.canvas.imageY) * sy);
  const x2 = Math.min(i.original.width, ((j % perRow) * cell + cell - i.canvas.imageX) * sx);
  const y2 = Math.min(i.original.height, (Math.floor(j / perRow) * cell + cell - i.canvas.imageY) * sy);
  return { x: x1, y: y1, w: x2 - x1, h: y2 - y1 };
}

/** A path drawn twice: a dark halo, then the line, so it reads on any photo. */
const haloPath = (d: string, w: number, color: string): string =>
  `<path d="${d}" fill="none" stroke="#000" stroke-opacity="0.8" stroke-width="${f2(w * 2.2)}"/>` +
  `<path d="${d}" fill="none" stroke="${color}" stroke-width="${f2(w)}"/>`;

/** Frames (kept) and crosses (dropped) for the cells under one region, inset by 2·w from the cell edges. */
function evidenceCells(i: InspectionRecord, cells: readonly number[], w: number): string {
  const out: string[] = [];
  for (const j of cells) {
    const b = cellBox(i, j);
    const [x, y, cw, ch] = [b.x + 2 * w, b.y + 2 * w, b.w - 4 * w, b.h - 4 * w];
    if (cw <= 0 || ch <= 0) continue;
    const d = i.selector.kept[j]
      ? `M${f2(x)} ${f2(y)}h${f2(cw)}v${f2(ch)}h${f2(-cw)}Z`
      : `M${f2(x)} ${f2(y)}L${f2(x + cw)} ${f2(y + ch)}M${f2(x + cw)} ${f2(y)}L${f2(x)} ${f2(y + ch)}`;
    out.push(haloPath(d, w, i.selector.kept[j] ? '#fff' : EVIDENCE_COLOR));
  }
  return out.join('');
}

/** The evidence layer: per region, its cells' frames and crosses, its outline (not for id 0) and an "Rn" tag. */
function evidenceLayer(i: InspectionRecord, regions: readonly HeatRegion[]): string {
  const sel = keptSelection(i);
  if (!sel) return '';
  const { width: W, height: H } = i.original;
  const w = Math.max(1.5, W / 200);
  const font = Math.max(10, Math.round(Math.min(W, H) / 30));
  const out: string[] = [];
  regions.forEach((r, n) => {
    out.push(evidenceCells(i, cellsUnder(sel, r), w));
    const [x, y] = [Math.max(0, Math.min(r.x1, r.x2)), Math.max(0, Math.min(r.y1, r.y2))];
    const [x2, y2] = [Math.min(W, Math.max(r.x1, r.x2)), Math.min(H, Math.max(r.y1, r.y2))];
    if (r.id !== 0) out.push(haloPath(`M${f2(x)} ${f2(y)}H${f2(x2)}V${f2(y2)}H${f2(x)}Z`, w * 1.3, EVIDENCE_COLOR));
    const text = `R${n + 1}`;
    const [tw, th] = [font * (0.62 * text.length + 0.6), font * 1.25];
    const [tx, ty] = [Math.max(0, x - tw), Math.max(0, y - th)];
    out.push(`<rect class="evidence-tag" x="${f2(tx)}" y="${f2(ty)}" width="${f2(tw)}" height="${f2(th)}" fill="${EVIDENCE_COLOR}"/>`);
    out.push(
      `<text x="${f2(tx + font * 0.3)}" y="${f2(ty + font)}" font-family="sans-serif" font-weight="700" font-size="${font}" fill="#000">${text}</text>`,
    );
  });
  return `<g data-layer="evidence">${out.join('')}</g>`;
}

/** The legend line for the evidence layer: a framed and a crossed swatch, and the region tag. */
function evidenceLegend(y: number): string {
  const t = (x: number, s: string): string =>
    `<text x="${x}" y="${y + 10}" font-family="sans-serif" font-size="11" fill="#000">${s}</text>`;
  return [
    `<rect x="8" y="${y}" width="12" height="12" fill="#777"/>`,
    `<path d="M10 ${y + 2}h8v8h-8Z" fill="none" stroke="#fff" stroke-width="1.5"/>`,
    t(24, 'kept cell under a region'),
    `<rect x="160" y="${y}" width="12" height="12" fill="#777"/>`,
    `<path d="M162 ${y + 2}L170 ${y + 10}M170 ${y + 2}L162 ${y + 10}" stroke="${EVIDENCE_COLOR}" stroke-width="1.5"/>`,
    t(176, 'dropped cell'),
    `<rect x="256" y="${y}" width="18" height="12" fill="${EVIDENCE_COLOR}"/>`,
    `<text x="258" y="${y + 10}" font-family="sans-serif" font-weight="700" font-size="9" fill="#000">R1</text>`,
    t(278, 'region (outlined)'),
  ].join('');
}

/** The SVG (original-image pixel units; taller and possibly wider with a legend band). */
export function heatmapSvg(i: InspectionRecord, layer: HeatLayer = { kind: 'selector' }, o: HeatmapOptions = {}): string {
  const { canvas, tileSize: S, localGrid: g, original } = i;
  const sx = original.width / canvas.imageWidth;
  const sy = original.height / canvas.imageHeight;
  const cell = S / g;
  const opacity = o.opacity ?? 0.45;
  const values = cellValues(i, layer);
  const hatchStep = Math.max(4, original.width / 120);
  const parts: string[] = [
    `<defs><pattern id="hatch" patternUnits="userSpaceOnUse" width="${f2(hatchStep)}" height="${f2(hatchStep)}" patternTransform="rotate(45)">`,
    `<rect width="${f2(hatchStep)}" height="${f2(hatchStep)}" fill="rgb(0,0,0)" fill-opacity="0.5"/>`,
    `<line x1="0" y1="0" x2="0" y2="${f2(hatchStep)}" stroke="#fff" stroke-opacity="0.6" stroke-width="${f2(hatchStep / 4)}"/></pattern></defs>`,
  ];
  for (let j = 0; j < values.length; j++) {
    const t = i.tiles[i.selector.tile[j]!]!;
    const x = (t.col * S + i.selector.col[j]! * cell - canvas.imageX) * sx;
    const y = (t.row * S + i.selector.row[j]! * cell - canvas.imageY) * sy;
    const v = values[j];
    const fill = v === null || v === undefined ? 'url(#hatch)' : `rgb(${rampColor(v).join(',')})`;
    const alpha = v === null || v === undefined ? 1 : opacity;
    parts.push(
      `<rect x="${f2(x)}" y="${f2(y)}" width="${f2(cell * sx)}" height="${f2(cell * sy)}" fill="${fill}" fill-opacity="${alpha}"/>`,
    );
  }
  const stroke = Math.max(1, original.width / 400);
  const font = Math.max(10, Math.round(Math.min(original.width, original.height) / 14));
  for (const t of i.tiles) {
    const x = (t.col * S - canvas.imageX) * sx;
    const y = (t.row * S - canvas.imageY) * sy;
    const rect = `x="${f2(x)}" y="${f2(y)}" width="${f2(S * sx)}" height="${f2(S * sy)}" fill="none"`;
    parts.push(`<rect ${rect} stroke="black" stroke-opacity="0.6" stroke-width="${f2(stroke * 2.5)}"/>`);
    parts.push(`<rect ${rect} stroke="white" stroke-width="${f2(stroke)}"/>`);
    const lx = Math.max(0, x) + stroke * 2;
    const ly = Math.max(0, y) + stroke * 2;
    parts.push(`<rect x="${f2(lx)}" y="${f2(ly)}" width="${f2(font * 1.4)}" height="${f2(font * 1.3)}" fill="black" fill-opacity="0.6"/>`);
    parts.push(
      `<text x="${f2(lx + font * 0.35)}" y="${f2(ly + font)}" font-family="sans-serif" font-size="${font}" fill="#fff">${t.index + 1}</text>`,
    );
  }
  const regions = o.regions ?? [];
  if (regions.length > 0) parts.push(evidenceLayer(i, regions));
  const extra = regions.length > 0 ? LEGEND_REGIONS_HEIGHT : 0;
  const width = o.legend ? Math.max(original.width, LEGEND_MIN_WIDTH) : original.width;
  const height = original.height + (o.legend ? LEGEND_HEIGHT + extra : 0);
  if (o.legend) parts.push(legendBand(i, layer, width, o.caption));
  if (o.legend && extra)
    parts.push(
      `<rect x="0" y="${original.height + LEGEND_HEIGHT}" width="${width}" height="${extra}" fill="#fff"/>`,
      evidenceLegend(original.height + LEGEND_HEIGHT + 2),
    );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}
