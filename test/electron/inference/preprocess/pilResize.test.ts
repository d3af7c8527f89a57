// Unit: the TypeScript port of Pillow's bicubic resize against goldens written by Pillow itself, and
// sharp's cubic kernel measured against the same goldens (the engine keeps whichever meets the tolerance).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { pilResizeBicubic } from '../../../../electron/inference/preprocess/pilResize.ts';

const DIR = path.resolve(import.meta.dirname, '../../../fixtures/preprocess');
const goldens = JSON.parse(readFileSync(path.join(DIR, 'goldens.json'), 'utf8')) as {
  cases: { name: string; src: [number, number]; out: [number, number] }[];
};

/** Written tolerance: the engine's resize must match Pillow within 1 uint8 level per channel (spec §10: 1/255). */
const TOLERANCE_LEVELS = 1;

async function rgb(file: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(path.join(DIR, file)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

function maxDiff(a: Uint8Array, b: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('pilResizeBicubic', () => {
  it.each(goldens.cases.map((c) => [c.name, c] as const))('matches Pillow bit for bit: %s', async (_name, c) => {
    const src = await rgb(`${c.name}.src.png`);
    const want = await rgb(`${c.name}.pil.png`);
    expect([src.width, src.height]).toEqual(c.src);
    const got = pilResizeBicubic(src.data, src.width, src.height, c.out[0], c.out[1]);
    expect(got.length).toBe(want.data.length);
    expect(maxDiff(got, want.data)).toBe(0);
  });

  it('rejects a buffer of the wrong length', () => {
    expect(() => pilResizeBicubic(new Uint8Array(5), 2, 2, 3, 3)).toThrow(/expected 12/);
  });
});

describe("sharp's cubic kernel against Pillow (measured, not used when outside the tolerance)", () => {
  it('differs from Pillow by more than the tolerance on at least one golden, so the engine uses the port', async () => {
    const diffs: Record<string, number> = {};
    for (const c of goldens.cases) {
      const src = await rgb(`${c.name}.src.png`);
      const want = await rgb(`${c.name}.pil.png`);
      const { data } = await sharp(src.data, { raw: { width: src.width, height: src.height, channels: 3 } })
        .resize(c.out[0], c.out[1], { fit: 'fill', kernel: 'cubic' })
        .raw()
        .toBuffer({ resolveWithObject: true });
      diffs[c.name] = maxDiff(new Uint8Array(data), want.data);
    }
    console.info('sharp cubic vs Pillow, max |Δ| in uint8 levels:', JSON.stringify(diffs));
    expect(Math.max(...Object.values(diffs))).toBeGreaterThan(TOLERANCE_LEVELS);
  });
});
