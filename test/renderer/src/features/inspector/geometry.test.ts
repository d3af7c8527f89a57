// Unit: token/tile/patch rectangles of an inspection record map back to the original image correctly.
import { describe, expect, it } from 'vitest';
import type { InspectionRecord } from '../../../../../electron/shared/ipc/inference.ts';
import {
  boxRect,
  globalPatchRect,
  hottestToken,
  intersects,
  keptPerTile,
  tileRect,
  tokenRect,
  tokensInBox,
} from '../../../../../renderer/src/features/inspector/geometry.ts';

/** A 2×1 grid of 64 px tiles with a 2×2 local grid; the 200×100 image fills a 128×64 canvas (scale 0.64). */
function record(scores: number[], kept: number[]): InspectionRecord {
  return {
    original: { width: 200, height: 100 },
    grid: { cols: 2, rows: 1, tiles: 2 },
    canvas: { width: 128, height: 64, imageX: 0, imageY: 0, imageWidth: 128, imageHeight: 64 },
    tileSize: 64,
    localGrid: 2,
    selector: { scores, kept, tile: [0, 0, 1, 1, 0, 0, 1, 1], row: [], col: [], probs: [], mode: 'legacy', topP: 0.9, temperature: 1 },
    routerWeights: new Array<number>(2 * 4 * 2).fill(0.5).slice(0, 8),
  } as unknown as InspectionRecord;
}

describe('geometry', () => {
  const rec = record([0, 1, 2, 9, 3, 4, 5, 6], [1, 0, 1, 1, 0, 0, 1, 1]);

  it('maps token j in raster order over the whole local grid to its cell', () => {
    // Row 0 of the 4×2 local grid: tokens 0..3; token 3 is the right half of tile 2's top row.
    expect(tokenRect(rec, 3)).toEqual({ x: 150, y: 0, width: 50, height: 50 });
    expect(tokenRect(rec, 4)).toEqual({ x: 0, y: 50, width: 50, height: 50 });
    expect(hottestToken(rec)).toBe(3);
  });

  it('maps tiles and undoes canvas padding and clipping', () => {
    expect(tileRect(rec, 1)).toEqual({ x: 100, y: 0, width: 100, height: 100 });
    const padded = {
      ...rec,
      canvas: { width: 128, height: 64, imageX: 0, imageY: 16, imageWidth: 128, imageHeight: 32 },
    } as InspectionRecord;
    // The top cell row is half padding: only 16 of its 32 canvas rows hold image (scale 100/32).
    expect(tokenRect(padded, 0)).toEqual({ x: 0, y: 0, width: 50, height: 50 });
    expect(tokenRect(padded, 4).y).toBe(50);
  });

  it('lays router weights on the global patch grid over the squashed image', () => {
    expect(globalPatchRect(rec, 3)).toEqual({ x: 100, y: 50, width: 100, height: 50 });
  });

  it('finds tokens under a box and kept counts per tile', () => {
    expect(tokensInBox(rec, { x1: 140, y1: 10, x2: 160, y2: 20 })).toEqual([2, 3]);
    expect(intersects(boxRect({ x1: 10, y1: 10, x2: 0, y2: 0 }), { x: 5, y: 5, width: 1, height: 1 })).toBe(true);
    expect(keptPerTile(rec)).toEqual([
      { kept: 1, total: 4 },
      { kept: 4, total: 4 },
    ]);
  });
});
