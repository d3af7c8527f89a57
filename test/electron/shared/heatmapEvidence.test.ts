// Unit: the shared heatmap renderer's evidence layer (the inspector's evidence coverage in the PNG export and
// `slime ask --heatmap`) — rasterised by librsvg (sharp) and read back pixel by pixel: a kept cell under a region is
// framed (light frame, untouched centre), a dropped one crossed (orange centre, no frame), and without regions the
// picture is the plain heatmap.
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import type { InspectionRecord } from '../../../electron/shared/ipc/inference.ts';
import { EVIDENCE_COLOR, heatmapSvg, LEGEND_HEIGHT, LEGEND_REGIONS_HEIGHT } from '../../../electron/shared/heatmap.ts';

/**
 * A 400×400 photo on a 200×200 canvas (2×2 tiles of 100 px, 2×2 local cells per tile): 16 local cells in raster order,
 * each 100×100 original pixels; odd cells kept. Only the fields the renderer reads.
 */
function record(): InspectionRecord {
  const cells = Array.from({ length: 16 }, (_, j) => ({ gr: Math.floor(j / 4), gc: j % 4 }));
  return {
    original: { width: 400, height: 400 },
    canvas: { width: 200, height: 200, imageX: 0, imageY: 0, imageWidth: 200, imageHeight: 200 },
    grid: { cols: 2, rows: 2, tiles: 4 },
    tileSize: 100,
    localGrid: 2,
    tiles: [0, 1, 2, 3].map((index) => ({ index, col: index % 2, row: Math.floor(index / 2) })),
    tokens: { localBefore: 16, localAfter: 8 },
    selector: {
      probs: cells.map((_, j) => j / 16),
      kept: cells.map((_, j) => (j % 2 === 1 ? 1 : 0)),
      tile: cells.map(({ gr, gc }) => Math.floor(gr / 2) * 2 + Math.floor(gc / 2)),
      col: cells.map(({ gc }) => gc % 2),
      row: cells.map(({ gr }) => gr % 2),
    },
  } as unknown as InspectionRecord;
}

/** The SVG over a flat mid-grey photo, as raw RGB. */
async function raster(svg: string): Promise<{ px: (x: number, y: number) => [number, number, number]; w: number; h: number }> {
  const { data, info } = await sharp(Buffer.from(svg)).flatten({ background: '#808080' }).raw().toBuffer({ resolveWithObject: true });
  const px = (x: number, y: number): [number, number, number] => {
    const o = (y * info.width + x) * info.channels;
    return [data[o]!, data[o + 1]!, data[o + 2]!];
  };
  return { px, w: info.width, h: info.height };
}

const hex = (c: string): [number, number, number] => [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16)) as [number, number, number];
const near = (a: [number, number, number], b: [number, number, number], tol = 24): boolean => a.every((v, k) => Math.abs(v - b[k]!) <= tol);

describe('shared heatmap: evidence layer', () => {
  // Cell 5 (kept) spans x 100–200, y 100–200; cell 6 (dropped) x 200–300, y 100–200. One region inside each.
  const regions = [
    { id: 1, x1: 110, y1: 110, x2: 190, y2: 190 },
    { id: 2, x1: 290, y1: 190, x2: 210, y2: 110 },
  ];
  const w = 2; // stroke width at 400 px; frames and crosses are inset 2·w = 4 px from the cell edges

  it('frames a kept cell under a region and crosses a dropped one', async () => {
    const rec = record();
    const plain = await raster(heatmapSvg(rec));
    const ev = await raster(heatmapSvg(rec, { kind: 'selector' }, { regions }));
    expect([ev.w, ev.h]).toEqual([400, 400]);
    // Kept cell 5: its frame (left edge at x = 100 + 2w) is light where the plain map is not; its centre is untouched.
    expect(near(ev.px(100 + 2 * w, 150), [255, 255, 255], 10)).toBe(true);
    expect(near(plain.px(100 + 2 * w, 150), [255, 255, 255], 10)).toBe(false);
    expect(ev.px(150, 150)).toEqual(plain.px(150, 150));
    expect(ev.px(150, 150)).not.toEqual(hex(EVIDENCE_COLOR));
    // Dropped cell 6: crossed through the centre in orange, and no light frame on its left edge.
    expect(near(ev.px(250, 150), hex(EVIDENCE_COLOR))).toBe(true);
    expect(near(plain.px(250, 150), hex(EVIDENCE_COLOR))).toBe(false);
    expect(near(ev.px(200 + 2 * w, 150), [255, 255, 255], 10)).toBe(false);
    // Cells under no region are left alone.
    expect(ev.px(50, 350)).toEqual(plain.px(50, 350));
    expect(ev.px(350, 350)).toEqual(plain.px(350, 350));
    // Region tags "R1", "R2" in order.
    expect(heatmapSvg(rec, { kind: 'selector' }, { regions })).toMatch(/>R1<\/text>.*>R2<\/text>/);
  });

  it('draws nothing without regions, and adds a legend line only with them', async () => {
    const rec = record();
    const plainSvg = heatmapSvg(rec, { kind: 'selector' }, { legend: true });
    expect(heatmapSvg(rec, { kind: 'selector' }, { legend: true, regions: [] })).toBe(plainSvg);
    expect(plainSvg).not.toContain('evidence');
    const withLegend = await raster(heatmapSvg(rec, { kind: 'selector' }, { legend: true, regions }));
    expect(withLegend.h).toBe(400 + LEGEND_HEIGHT + LEGEND_REGIONS_HEIGHT);
    const svg = heatmapSvg(rec, { kind: 'selector' }, { legend: true, regions });
    expect(svg).toContain('kept cell under a region');
    expect(svg).toContain('dropped cell');
  });
});
