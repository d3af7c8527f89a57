// Unit: the shared heatmap renderer (CLI --heatmap and the inspector's PNG export) — a ramp whose greyscale
// lightness rises monotonically, one cell per local token with dropped cells hatched, the tile grid, the legend band,
// and an SVG librsvg (sharp) rasterises at the stated size.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import sharp from 'sharp';
import { Engine } from '../../../electron/inference/engine.ts';
import { heatmapSvg, LEGEND_HEIGHT, LEGEND_MIN_WIDTH, rampColor } from '../../../electron/shared/heatmap.ts';

const MODEL = path.resolve(import.meta.dirname, '../../fixtures/slime-tiny');

/** Rec. 709 luma of an sRGB colour (what a greyscale printer keeps, near enough). */
const luma = ([r, g, b]: [number, number, number]): number => 0.2126 * r + 0.7152 * g + 0.0722 * b;

describe('shared heatmap', () => {
  it('ramp lightness rises monotonically (greyscale-safe)', () => {
    const l = Array.from({ length: 101 }, (_, k) => luma(rampColor(k / 100)));
    for (let k = 1; k < l.length; k++) expect(l[k]!).toBeGreaterThan(l[k - 1]!);
    expect(l[100]! - l[0]!).toBeGreaterThan(150);
  });

  it('draws every cell, hatches dropped ones, numbers the tiles, and rasterises with its legend', async () => {
    const engine = new Engine();
    await engine.load({ modelDir: MODEL, providers: ['cpu'] });
    const r = await engine.ask(
      {
        requestId: 'h',
        image: { path: path.join(MODEL, 'images', 'tall.png') },
        question: 'What color is the small square?',
        selector: { topP: 0.5 },
        sampling: { maxNewTokens: 1 },
      },
      new AbortController().signal,
      () => undefined,
    );
    await engine.unload();
    const i = r.inspection;
    const plain = heatmapSvg(i);
    expect(plain.match(/<rect x=/g)!.length).toBe(i.tokens.localBefore + 3 * i.grid.tiles);
    expect(plain.match(/fill="url\(#hatch\)"/g)!.length).toBe(i.tokens.localBefore - i.tokens.localAfter);
    for (let t = 1; t <= i.grid.tiles; t++) expect(plain).toContain(`>${t}</text>`);
    const occ = heatmapSvg(
      i,
      { kind: 'occlusion', cellDrop: i.selector.kept.map((k, j) => (k ? j / 10 : null)) },
      { legend: true, caption: 'a <b>' },
    );
    expect(occ).toContain('a &lt;b&gt;');
    const png = await sharp(Buffer.from(occ)).png().toBuffer();
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height]).toEqual([Math.max(i.original.width, LEGEND_MIN_WIDTH), i.original.height + LEGEND_HEIGHT]);
    // A caption longer than the band is cut with an ellipsis instead of running off the image.
    const long = heatmapSvg(i, { kind: 'selector' }, { legend: true, caption: 'q'.repeat(500) });
    const shown = /(q+)…<\/text>/.exec(long)?.[1] ?? '';
    expect(shown.length).toBeGreaterThan(20);
    expect(shown.length * 6.2).toBeLessThan(Math.max(i.original.width, LEGEND_MIN_WIDTH));
  });
});
