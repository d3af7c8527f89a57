// Unit: the tile-grid rule against the table of spec §2.2, the canvas fit of §2.9, and the preprocessing geometry.
import { describe, expect, it } from 'vitest';
import { chooseGrid, fitToCanvas } from '../../../../electron/inference/preprocess/gridRule.ts';
import { preprocessImage } from '../../../../electron/inference/preprocess/preprocessImage.ts';

const TABLE: [number, number, number, number][] = [
  [100, 100, 1, 2],
  [336, 336, 1, 2],
  [500, 375, 2, 1],
  [640, 480, 2, 2],
  [480, 640, 2, 2],
  [800, 600, 3, 2],
  [1024, 768, 3, 2],
  [1280, 720, 3, 2],
  [1920, 1080, 3, 2],
  [4000, 3000, 3, 2],
  [1024, 1024, 2, 3],
  [3000, 1000, 5, 1],
  [336, 2000, 1, 6],
  [300, 3000, 1, 7],
];

describe('chooseGrid', () => {
  it.each(TABLE)('%i×%i → %i×%i', (w, h, cols, rows) => {
    expect(chooseGrid(w, h, 336)).toEqual({ cols, rows });
  });
  it('never gives one tile nor more than seven', () => {
    for (const [w, h] of [
      [1, 1],
      [30000, 20],
      [20, 30000],
      [9000, 9000],
    ] as const) {
      const g = chooseGrid(w, h, 336);
      expect(g.cols * g.rows).toBeGreaterThanOrEqual(2);
      expect(g.cols * g.rows).toBeLessThanOrEqual(7);
    }
  });
});

describe('fitToCanvas', () => {
  it('1024×768 on 1008×672 → 896×672 pasted at x = 56 (spec §2.9)', () => {
    expect(fitToCanvas(1024, 768, 1008, 672)).toEqual({ canvasWidth: 1008, canvasHeight: 672, width: 896, height: 672, x: 56, y: 0 });
  });
});

describe('preprocessImage', () => {
  const vision = {
    image_size: 28,
    patch_size: 14,
    patch_grid: 2,
    patch_tokens: 4,
    hidden: 8,
    mean: [0.5, 0.5, 0.5],
    std: [0.5, 0.5, 0.5],
    max_tiles: 7,
    min_tiles: 2,
    tile_pad_rgb: [0, 0, 0],
    resample: 'pil-bicubic',
  } as const;
  it('lays out global view then tiles, black padding normalised, tile rectangles in original pixels', () => {
    const W = 40;
    const H = 20;
    const rgb = new Uint8Array(W * H * 3).fill(255);
    const p = preprocessImage(
      { rgb, width: W, height: H, hash: 'x', format: 'png' },
      { ...vision, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], tile_pad_rgb: [0, 0, 0] },
    );
    expect(p.grid).toEqual({ cols: 2, rows: 1 });
    expect(p.views).toBe(3);
    expect(p.pixelValues.length).toBe(3 * 3 * 28 * 28);
    expect(p.pixelValues[0]).toBeCloseTo(1, 6);
    // Canvas 56×28, image fitted to 56×28: no padding, two tiles each covering half of the original.
    expect(p.tiles.map((t) => [t.x, t.y, t.width, t.height])).toEqual([
      [0, 0, 20, 20],
      [20, 0, 20, 20],
    ]);
  });
  it('pads with black: a tall image leaves padding columns at (0 − mean)/std', () => {
    const rgb = new Uint8Array(10 * 40 * 3).fill(255);
    const p = preprocessImage(
      { rgb, width: 10, height: 40, hash: 'x', format: 'png' },
      { ...vision, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], tile_pad_rgb: [0, 0, 0] },
    );
    expect(p.grid).toEqual({ cols: 1, rows: 2 });
    // 10×40 fitted into 28×56 → 14×56 pasted at x = 7.
    const tile1 = 1 * 3 * 28 * 28;
    expect(p.pixelValues[tile1]).toBeCloseTo(-1, 6);
    expect(p.pixelValues[tile1 + 14]).toBeCloseTo(1, 6);
  });
});
