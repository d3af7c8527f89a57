// Unit: the inspector lab's pure parts — the cell under a point (inverse of tokenRect), a tile's cells, the kept
// indices, and the kept set each intervention makes.
import { describe, expect, it } from 'vitest';
import type { InspectionRecord } from '../../../../../electron/shared/ipc/inference.ts';
import { keptIndices, tileTokens, tokenAt, tokenRect } from '../../../../../renderer/src/features/inspector/geometry.ts';
import { keepSetFor } from '../../../../../renderer/src/features/inspector/interventions.ts';

/** A 2×1 grid of 64 px tiles, 2×2 local grid, a 200×90 image letterboxed on a 128×64 canvas (y offset 3.2). */
const rec = {
  original: { width: 200, height: 90 },
  grid: { cols: 2, rows: 1, tiles: 2 },
  canvas: { width: 128, height: 64, imageX: 0, imageY: 3.2, imageWidth: 128, imageHeight: 57.6 },
  tileSize: 64,
  localGrid: 2,
  selector: { kept: [1, 0, 1, 1, 0, 0, 1, 1], tile: [0, 0, 1, 1, 0, 0, 1, 1], scores: new Array(8).fill(0) },
} as unknown as InspectionRecord;

describe('lab geometry', () => {
  it('finds the cell under every cell centre, and none outside the grid', () => {
    for (let j = 0; j < 8; j++) {
      const r = tokenRect(rec, j);
      expect(tokenAt(rec, r.x + r.width / 2, r.y + r.height / 2)).toBe(j);
    }
    expect(tokenAt(rec, -50, 10)).toBeNull();
    expect(tokenAt(rec, 10, 200)).toBeNull();
  });

  it('lists a tile’s cells and the kept cells', () => {
    expect(tileTokens(rec, 1)).toEqual([2, 3, 6, 7]);
    expect(keptIndices(rec)).toEqual([0, 2, 3, 6, 7]);
  });
});

describe('keepSetFor', () => {
  const original = [0, 2, 3, 6, 7];
  it('keep only / drop / add / global', () => {
    expect(keepSetFor('keep-only', original, [5, 1])).toEqual([1, 5]);
    expect(keepSetFor('drop', original, [2, 3, 6, 7])).toEqual([0]);
    expect(keepSetFor('add', original, [1, 7])).toEqual([0, 1, 2, 3, 6, 7]);
    expect(keepSetFor('global', original, [1])).toEqual([]);
  });
});
