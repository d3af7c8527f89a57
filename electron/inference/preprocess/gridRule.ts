// Inference process: SliME's tile-grid rule (spec §2.2, UHD-style, LLaVA-NeXT scoring) and the aspect-preserving
// fit of the image onto the tile canvas.

/** A chosen grid: columns × rows of tiles. */
export interface Grid {
  cols: number;
  rows: number;
}

/**
 * Chooses the tile grid for a `width`×`height` image (spec §2.2): s = ceil(W·H / tile²) clamped to
 * [minTiles, maxTiles − 1], candidate counts {s−1, s, s+1} (only {s, s+1} when s ≤ 2), every divisor split,
 * scored by effective resolution then least waste; a later candidate wins only when strictly better.
 */
export function chooseGrid(width: number, height: number, tile: number, minTiles = 2, maxTiles = 7): Grid {
  let s = Math.ceil((width * height) / (tile * tile));
  if (s > maxTiles - 1) s = maxTiles - 1;
  if (s < minTiles) s = minTiles;
  const counts = s <= 2 ? [s, s + 1] : [s - 1, s, s + 1];
  let best: Grid | null = null;
  let bestEffective = -1;
  let bestWasted = Infinity;
  for (const c of counts) {
    for (let i = 1; i <= c; i++) {
      if (c % i !== 0) continue;
      const cw = tile * i;
      const ch = tile * (c / i);
      const r = Math.min(cw / width, ch / height);
      const effective = Math.min(Math.trunc(width * r) * Math.trunc(height * r), width * height);
      const wasted = cw * ch - effective;
      if (effective > bestEffective || (effective === bestEffective && wasted < bestWasted)) {
        best = { cols: i, rows: c / i };
        bestEffective = effective;
        bestWasted = wasted;
      }
    }
  }
  return best!;
}

/** Where the resized image sits on the canvas (canvas pixels). */
export interface CanvasFit {
  canvasWidth: number;
  canvasHeight: number;
  width: number;
  height: number;
  x: number;
  y: number;
}

/** The aspect-preserving fit with ceil sizing and a centered paste (LLaVA `resize_and_pad_image`). */
export function fitToCanvas(width: number, height: number, canvasWidth: number, canvasHeight: number): CanvasFit {
  const scaleW = canvasWidth / width;
  const scaleH = canvasHeight / height;
  let w: number;
  let h: number;
  if (scaleW < scaleH) {
    w = canvasWidth;
    h = Math.min(Math.ceil(height * scaleW), canvasHeight);
  } else {
    h = canvasHeight;
    w = Math.min(Math.ceil(width * scaleH), canvasWidth);
  }
  return { canvasWidth, canvasHeight, width: w, height: h, x: Math.floor((canvasWidth - w) / 2), y: Math.floor((canvasHeight - h) / 2) };
}
