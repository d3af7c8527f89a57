// Unit: image decoding with sharp on real files generated here — every bad image of issue 5 list 11 gets
// its error code, and the awkward-but-valid ones (CMYK, 16-bit, grey+alpha, animated, EXIF, tiny, panorama) decode.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { decodeImageFile } from '../../../../electron/inference/preprocess/decodeImage.ts';
import { AppFailure } from '../../../../electron/shared/errors.ts';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'slime-decode-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Buffer | string): string {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

async function codeOf(p: string): Promise<string> {
  try {
    await decodeImageFile(p);
    return 'ok';
  } catch (thrown) {
    return thrown instanceof AppFailure ? thrown.code : `not an AppFailure: ${String(thrown)}`;
  }
}

function solid(width: number, height: number, rgb: [number, number, number]): Sharp {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A hand-built PNG: `colorType` 2 = RGB, 4 = grey+alpha; `depth` 8 or 16; every sample = `sample`. */
function rawPng(width: number, height: number, colorType: 2 | 4, depth: 8 | 16, sample: number): Buffer {
  const channels = colorType === 2 ? 3 : 2;
  const bytesPerSample = depth / 8;
  const row = Buffer.alloc(1 + width * channels * bytesPerSample);
  for (let i = 0; i < width * channels; i++) {
    if (depth === 16) row.writeUInt16BE(sample, 1 + i * 2);
    else row[1 + i] = sample;
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([depth, colorType, 0, 0, 0], 8);
  const idat = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('decodeImageFile: bad input', () => {
  it('zero-byte file → image/corrupt', async () => expect(await codeOf(file('empty.png', Buffer.alloc(0)))).toBe('image/corrupt'));
  it('missing file → image/not-found', async () => expect(await codeOf(path.join(dir, 'nope.jpg'))).toBe('image/not-found'));
  it('text named .png → image/unsupported', async () =>
    expect(await codeOf(file('notes.png', 'hello, this is not a picture\n'.repeat(10)))).toBe('image/unsupported'));
  it('SVG → image/unsupported', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="red"/></svg>';
    expect(await codeOf(file('vector.svg', svg))).toBe('image/unsupported');
  });
  it('truncated JPEG → image/corrupt', async () => {
    const jpg = await sharp({
      create: { width: 256, height: 256, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
    })
      .jpeg()
      .toBuffer();
    expect(await codeOf(file('cut.jpg', jpg.subarray(0, Math.floor(jpg.length / 2))))).toBe('image/corrupt');
  });
  it('truncated PNG → image/corrupt', async () => {
    const png = await sharp({
      create: { width: 256, height: 256, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
    })
      .png()
      .toBuffer();
    expect(await codeOf(file('cut.png', png.subarray(0, Math.floor(png.length / 2))))).toBe('image/corrupt');
  });
  it('PNG header declaring 100000×100000 → image/too-large, before decoding', async () => {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(100_000, 0);
    ihdr.writeUInt32BE(100_000, 4);
    ihdr.set([8, 2, 0, 0, 0], 8);
    const bomb = Buffer.concat([
      Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
      pngChunk('IHDR', ihdr),
      pngChunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
      pngChunk('IEND', Buffer.alloc(0)),
    ]);
    const before = process.memoryUsage().rss;
    expect(await codeOf(file('bomb.png', bomb))).toBe('image/too-large');
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });
});

describe('decodeImageFile: awkward but valid images', () => {
  it('1×1 decodes', async () => {
    const d = await decodeImageFile(file('dot.png', await solid(1, 1, [10, 20, 30]).png().toBuffer()));
    expect([d.width, d.height, ...d.rgb]).toEqual([1, 1, 10, 20, 30]);
  });
  it('30000×20 panorama decodes', async () => {
    const d = await decodeImageFile(file('pano.png', await solid(30_000, 20, [0, 128, 255]).png().toBuffer()));
    expect([d.width, d.height, d.rgb.length]).toEqual([30_000, 20, 30_000 * 20 * 3]);
  });
  it('CMYK JPEG becomes 3-channel sRGB', async () => {
    const cmyk = await solid(32, 32, [200, 30, 30]).toColourspace('cmyk').jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const d = await decodeImageFile(file('cmyk.jpg', cmyk));
    expect(d.rgb.length).toBe(32 * 32 * 3);
    expect(d.rgb[0]!).toBeGreaterThan(150);
    expect(d.rgb[1]!).toBeLessThan(90);
  });
  it('16-bit PNG is scaled to 8 bits', async () => {
    const png16 = rawPng(8, 8, 2, 16, 0x8080);
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    const d = await decodeImageFile(file('deep.png', png16));
    expect(Math.abs(d.rgb[0]! - 128)).toBeLessThanOrEqual(1);
  });
  it('grey+alpha PNG becomes RGB with the alpha dropped', async () => {
    // Grey 90 with alpha 90 too: dropping (not compositing) the alpha keeps 90, as PIL's convert('RGB') does.
    const ga = rawPng(16, 16, 4, 8, 90);
    expect((await sharp(ga).metadata()).channels).toBe(2);
    const d = await decodeImageFile(file('ga.png', ga));
    expect([d.rgb[0], d.rgb[1], d.rgb[2]]).toEqual([90, 90, 90]);
  });
  it('palette PNG expands', async () => {
    const pal = await solid(16, 16, [255, 0, 0]).png({ palette: true }).toBuffer();
    const d = await decodeImageFile(file('pal.png', pal));
    expect([d.rgb[0], d.rgb[1], d.rgb[2]]).toEqual([255, 0, 0]);
  });
  it.each(['gif', 'webp'] as const)('animated %s uses the first frame', async (fmt) => {
    const frames = [await solid(20, 10, [255, 0, 0]).png().toBuffer(), await solid(20, 10, [0, 0, 255]).png().toBuffer()];
    const joined = sharp(frames, { join: { animated: true } });
    const anim = await (fmt === 'gif' ? joined.gif() : joined.webp()).toBuffer();
    expect((await sharp(anim).metadata()).pages).toBe(2);
    const d = await decodeImageFile(file(`anim.${fmt}`, anim));
    expect([d.width, d.height]).toEqual([20, 10]);
    expect(d.rgb[0]!).toBeGreaterThan(200);
    expect(d.rgb[2]!).toBeLessThan(60);
  });
  it('EXIF-rotated JPEG comes out rotated', async () => {
    const half = Buffer.alloc(40 * 20 * 3);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) half.set(x < 20 ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3);
    const jpg = await sharp(half, { raw: { width: 40, height: 20, channels: 3 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect((await sharp(jpg).metadata()).orientation).toBe(6);
    const d = await decodeImageFile(file('rot.jpg', jpg));
    expect([d.width, d.height]).toEqual([20, 40]);
    // Orientation 6 = rotate 90° clockwise to display: the left (red) half ends up on top.
    expect(d.rgb[0]!).toBeGreaterThan(200);
    const bottom = (39 * 20 + 10) * 3;
    expect(d.rgb[bottom + 2]!).toBeGreaterThan(200);
  });
  it('hashes the file bytes', async () => {
    const p = file('h.png', await solid(4, 4, [1, 2, 3]).png().toBuffer());
    const a = await decodeImageFile(p);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
