// Inference process: turns a decoded image into SliME's pixel tensor [1+N, 3, S, S] (global squash view, then
// tiles of the black-padded aspect-preserving resize), normalised CHW fp32, plus the geometry for inspection.
import type { Manifest } from '../../shared/manifest.ts';
import type { TileRect } from '../../shared/ipc/inference.ts';
import type { DecodedImage } from './decodeImage.ts';
import { pilResizeBicubic } from './pilResize.ts';
import { chooseGrid, fitToCanvas, type CanvasFit, type Grid } from './gridRule.ts';

/** The pixel tensor and the geometry that produced it. */
export interface PreprocessedImage {
  pixelValues: Float32Array;
  views: number;
  tileSize: number;
  grid: Grid;
  fit: CanvasFit;
  tiles: TileRect[];
  original: { width: number; height: number };
}

/** Runs the whole image preprocessing of spec §2.2 with the manifest's constants. */
export function preprocessImage(image: DecodedImage, vision: Manifest['vision']): PreprocessedImage {
  const S = vision.image_size;
  const { width: W, height: H } = image;
  const grid = chooseGrid(W, H, S, vision.min_tiles, vision.max_tiles);
  const fit = fitToCanvas(W, H, S * grid.cols, S * grid.rows);
  const views = 1 + grid.cols * grid.rows;
  const out = new Float32Array(views * 3 * S * S);
  const norm = normaliser(vision.mean, vision.std);
  const globalView = pilResizeBicubic(image.rgb, W, H, S, S);
  writeView(out, 0, globalView, S, 0, 0, S, norm);
  const resized = pilResizeBicubic(image.rgb, W, H, fit.width, fit.height);
  const canvas = new Uint8Array(fit.canvasWidth * fit.canvasHeight * 3);
  fillRgb(canvas, vision.tile_pad_rgb);
  for (let y = 0; y < fit.height; y++) {
    const src = y * fit.width * 3;
    canvas.set(resized.subarray(src, src + fit.width * 3), ((y + fit.y) * fit.canvasWidth + fit.x) * 3);
  }
  const tiles: TileRect[] = [];
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.cols; c++) {
      const index = r * grid.cols + c;
      writeView(out, 1 + index, canvas, fit.canvasWidth, c * S, r * S, S, norm);
      tiles.push(tileRect(index, r, c, S, fit, W, H));
    }
  }
  return { pixelValues: out, views, tileSize: S, grid, fit, tiles, original: { width: W, height: H } };
}

/** Per-channel uint8 → normalised float32 lookup tables (x/255 − mean) / std in float32 arithmetic, as HF does. */
function normaliser(mean: readonly number[], std: readonly number[]): Float32Array[] {
  return [0, 1, 2].map((ch) => {
    const table = new Float32Array(256);
    const m = Math.fround(mean[ch]!);
    const s = Math.fround(std[ch]!);
    for (let v = 0; v < 256; v++) table[v] = Math.fround(Math.fround(Math.fround(v * (1 / 255)) - m) / s);
    return table;
  });
}

function writeView(
  out: Float32Array,
  view: number,
  src: Uint8Array,
  srcWidth: number,
  x0: number,
  y0: number,
  S: number,
  norm: Float32Array[],
): void {
  const plane = S * S;
  const base = view * 3 * plane;
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const p = ((y + y0) * srcWidth + (x + x0)) * 3;
      const o = y * S + x;
      out[base + o] = norm[0]![src[p]!]!;
      out[base + plane + o] = norm[1]![src[p + 1]!]!;
      out[base + 2 * plane + o] = norm[2]![src[p + 2]!]!;
    }
  }
}

function fillRgb(buf: Uint8Array, rgb: readonly number[]): void {
  if (rgb[0] === 0 && rgb[1] === 0 && rgb[2] === 0) return;
  for (let i = 0; i < buf.length; i += 3) {
    buf[i] = rgb[0]!;
    buf[i + 1] = rgb[1]!;
    buf[i + 2] = rgb[2]!;
  }
}

/** The part of tile (r, c) that shows the image, mapped back to original-image pixels (rounded outward). */
function tileRect(index: number, row: number, col: number, S: number, fit: CanvasFit, W: number, H: number): TileRect {
  const x0 = Math.max(col * S, fit.x);
  const x1 = Math.min((col + 1) * S, fit.x + fit.width);
  const y0 = Math.max(row * S, fit.y);
  const y1 = Math.min((row + 1) * S, fit.y + fit.height);
  if (x1 <= x0 || y1 <= y0) return { index, row, col, x: 0, y: 0, width: 0, height: 0 };
  const sx = W / fit.width;
  const sy = H / fit.height;
  const ox0 = Math.max(0, Math.floor((x0 - fit.x) * sx));
  const ox1 = Math.min(W, Math.ceil((x1 - fit.x) * sx));
  const oy0 = Math.max(0, Math.floor((y0 - fit.y) * sy));
  const oy1 = Math.min(H, Math.ceil((y1 - fit.y) * sy));
  return { index, row, col, x: ox0, y: oy0, width: ox1 - ox0, height: oy1 - oy0 };
}
