// Inference process: the inspection record of one answer (issue 5 item 7) — geometry, token counts, every local
// token's score with its tile/row/col/kept flag, router weights, compressor attention projected onto patches.
import type { FirstStep, InspectionRecord, SelectorOverrideRecord, StageTimings } from '../shared/ipc/inference.ts';
import type { ImageFeatures } from './encode.ts';
import type { LoadedModel } from './model.ts';
import type { Selection, SelectorSettings } from './select.ts';

/** Per local raster index: its tile, and row/col inside the tile's query grid. */
function localPositions(cols: number, rows: number, g: number): { tile: number[]; row: number[]; col: number[] } {
  const tile: number[] = [];
  const row: number[] = [];
  const col: number[] = [];
  for (let gr = 0; gr < rows * g; gr++)
    for (let gc = 0; gc < cols * g; gc++) {
      tile.push(Math.floor(gr / g) * cols + Math.floor(gc / g));
      row.push(gr % g);
      col.push(gc % g);
    }
  return { tile, row, col };
}

/** Σ_q p_q·attn[tile, q, patch] over kept tokens, per tile → [tiles, P]. */
function attentionHeat(
  features: ImageFeatures,
  model: LoadedModel,
  sel: Selection,
  pos: { tile: number[]; row: number[]; col: number[] },
): InspectionRecord['attentionHeat'] {
  const att = features.localAttention;
  if (!att) return null;
  const P = model.manifest.vision.patch_tokens;
  const g = model.manifest.projector.local_grid;
  const Q = g * g;
  const tiles = features.geometry.grid.cols * features.geometry.grid.rows;
  const heat = new Float64Array(tiles * P);
  const keptSet = new Set(sel.kept);
  for (let j = 0; j < pos.tile.length; j++) {
    if (!keptSet.has(j)) continue;
    const n = pos.tile[j]!;
    const q = pos.row[j]! * g + pos.col[j]!;
    const w = sel.probs[j]!;
    const base = (n * Q + q) * P;
    for (let p = 0; p < P; p++) heat[n * P + p]! += w * att[base + p]!;
  }
  return { patchGrid: model.manifest.vision.patch_grid, data: Array.from(heat) };
}

/** Everything the record needs besides the features. */
export interface InspectionInputs {
  model: LoadedModel;
  features: ImageFeatures;
  selection: Selection;
  settings: SelectorSettings;
  promptTokens: number;
  prefill: number;
  generated: number;
  kvReused: number;
  timings: StageTimings;
  sampling: InspectionRecord['sampling'];
  stopReason: InspectionRecord['stopReason'];
  /** The request's kept-set override, null when the selector decided. */
  override?: SelectorOverrideRecord | null;
  firstStep?: FirstStep;
}

/** Builds the record. Arrays are plain numbers so it crosses IPC and JSON unchanged. */
export function buildInspection(i: InspectionInputs): InspectionRecord {
  const { model, features: f, selection: sel } = i;
  const geo = f.geometry;
  const g = model.manifest.projector.local_grid;
  const pos = localPositions(geo.grid.cols, geo.grid.rows, g);
  const kept = new Array<number>(sel.scores.length).fill(0);
  for (const j of sel.kept) kept[j] = 1;
  const G = model.manifest.projector.global_queries;
  return {
    imageHash: f.hash,
    original: geo.original,
    grid: { cols: geo.grid.cols, rows: geo.grid.rows, tiles: geo.grid.cols * geo.grid.rows },
    canvas: {
      width: geo.fit.canvasWidth,
      height: geo.fit.canvasHeight,
      imageX: geo.fit.x,
      imageY: geo.fit.y,
      imageWidth: geo.fit.width,
      imageHeight: geo.fit.height,
    },
    tiles: geo.tiles,
    globalView: { width: geo.tileSize, height: geo.tileSize },
    tileSize: geo.tileSize,
    localGrid: g,
    tokens: {
      global: G,
      localBefore: sel.scores.length,
      localAfter: sel.kept.length,
      separator: sel.kept.length === 0 ? 0 : 1,
      prompt: i.promptTokens,
      prefill: i.prefill,
      generated: i.generated,
      kvReused: i.kvReused,
    },
    selector: {
      mode: i.settings.mode,
      topP: i.settings.topP,
      temperature: i.settings.temperature,
      scores: Array.from(sel.scores),
      probs: Array.from(sel.probs),
      kept,
      ...pos,
      override: i.override ?? null,
    },
    ...(i.firstStep ? { firstStep: i.firstStep } : {}),
    routerWeights: Array.from(f.routerWeights),
    attentionHeat: attentionHeat(f, model, sel, pos),
    timings: i.timings,
    providers: model.providers,
    sampling: i.sampling,
    stopReason: i.stopReason,
  };
}
