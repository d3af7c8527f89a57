// Unit: the "needs local detail" rank (SESSION2-PLAN.md formula), instability and divergence, evidence coverage.
import { describe, expect, it } from 'vitest';
import { divergeAt, instability, needsDetail } from '../../../../electron/shared/mining/rank.ts';
import { cellsUnder, evidenceDropped, regionCoverage } from '../../../../electron/shared/mining/coverage.ts';
import type { KeptSelection } from '../../../../electron/shared/ipc/miningTypes.ts';

describe('needsDetail', () => {
  it('is 0.5·(1 − e^−detail) + 0.35·instability + 0.15·(1 − margin), minus 1 out of distribution', () => {
    const r = needsDetail({ detail: 2, instability: 0.5, margin: 0.2, inDist: true });
    expect(r.needs).toBeCloseTo(0.5 * (1 - Math.exp(-2)) + 0.35 * 0.5 + 0.15 * 0.8, 12);
    expect(r.missing).toEqual([]);
    expect(needsDetail({ detail: 2, instability: 0.5, margin: 0.2, inDist: false }).needs).toBeCloseTo(r.needs - 1, 12);
  });

  it('clamps a negative detail score to 0 and counts missing signals as 0, naming them', () => {
    expect(needsDetail({ detail: -3, instability: null, margin: null, inDist: null })).toEqual({
      needs: 0,
      missing: ['instability', 'margin', 'ood'],
    });
  });

  it('puts every in-distribution row above every OOD row', () => {
    const worstIn = needsDetail({ detail: 0, instability: 0, margin: 1, inDist: true }).needs;
    const bestOut = needsDetail({ detail: 20, instability: 1, margin: 0, inDist: false }).needs;
    expect(worstIn).toBeGreaterThan(bestOut);
  });
});

describe('instability and divergeAt', () => {
  it('counts the settings whose answer differs from the shipped one, of 4', () => {
    expect(instability('red', ['red', 'blue', 'red', 'green'])).toBe(0.5);
    expect(instability('red', ['red', 'red', 'red', 'red'])).toBe(0);
  });
  it('gives the first differing character, the shorter length for a prefix, null when equal', () => {
    expect(divergeAt('red circle', 'red square')).toBe(4);
    expect(divergeAt('red', 'red circle')).toBe(3);
    expect(divergeAt('same', 'same')).toBeNull();
  });
});

describe('evidence coverage', () => {
  // A 3×2 grid of 112-px tiles, 4×4 local cells each (12 × 8 cells of 28 px), image letterboxed at y 28..196 of 224.
  const sel: KeptSelection = {
    original: { width: 672, height: 336 },
    grid: { cols: 3, rows: 2 },
    localGrid: 4,
    canvas: { width: 336, height: 224, imageX: 0, imageY: 28, imageWidth: 336, imageHeight: 168 },
    kept: [0, 1, 12, 13],
  };
  it('maps a box in original pixels onto the cells under it', () => {
    // x 0..100 → canvas 0..50 → cols 0–1; y 0..50 → canvas 28..53 → rows 1 (28–56).
    expect(cellsUnder(sel, { id: 1, x1: 0, y1: 0, x2: 100, y2: 50 })).toEqual([12, 13]);
  });
  it('reports the kept share per region and flags a region the selector dropped', () => {
    const cov = regionCoverage(sel, [
      { id: 1, x1: 0, y1: 0, x2: 100, y2: 50 },
      { id: 2, x1: 400, y1: 200, x2: 600, y2: 300 },
    ]);
    expect(cov[0]).toEqual({ regionId: 1, cells: 2, kept: 2, share: 1 });
    expect(cov[1]!.kept).toBe(0);
    expect(evidenceDropped(cov.slice(0, 1))).toBe(false);
    expect(evidenceDropped(cov)).toBe(true);
  });
});
