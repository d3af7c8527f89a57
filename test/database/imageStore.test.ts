// Unit: the content-addressed image store measures real images with sharp and rejects bad ones with image/* codes.
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { measureImage } from '../../database/imageStore.ts';
import { hamming, splitHash } from '../../database/phash.ts';
import { makePng, openTestDataset } from './fixtures.ts';

describe('image store', () => {
  it('stores a PNG under its sha256 with size, format and pHash, idempotently', async () => {
    const t = openTestDataset();
    const png = await makePng(1, 80, 60);
    const a = await t.call('addImage', new Uint8Array(png), 'one.png');
    const b = await t.call('addImage', new Uint8Array(png), 'again.png');
    expect(a).toMatchObject({
      sha256: createHash('sha256').update(png).digest('hex'),
      width: 80,
      height: 60,
      format: 'png',
      bytes: png.length,
      fileName: 'one.png',
    });
    expect(b.fileName).toBe('one.png');
    expect(fs.readFileSync(a.path).equals(png)).toBe(true);
    expect(a.phash).toMatch(/^[0-9a-f]{16}$/);
    t.close();
  });

  it('gives near-identical pHashes to a re-encoded JPEG of the same picture and distant ones to another picture', async () => {
    const png = await makePng(3, 128, 96);
    const jpeg = await sharp(png).jpeg({ quality: 70 }).toBuffer();
    const other = await sharp(await makePng(40, 128, 96))
      .flop()
      .png()
      .toBuffer();
    const [p, j, o] = await Promise.all([measureImage(png), measureImage(jpeg), measureImage(other)]);
    expect(j.format).toBe('jpeg');
    expect(hamming(splitHash(p.phash), splitHash(j.phash))).toBeLessThanOrEqual(4);
    expect(hamming(splitHash(p.phash), splitHash(o.phash))).toBeGreaterThan(10);
  });

  it('rejects text, truncated files, SVG and tiny images with clear codes', async () => {
    const png = await makePng(2);
    await expect(measureImage(new TextEncoder().encode('hello, not an image'))).rejects.toMatchObject({ code: 'image/unsupported' });
    await expect(measureImage(png.subarray(0, Math.floor(png.length / 2)))).rejects.toMatchObject({
      code: expect.stringMatching(/^image\/(corrupt|unsupported)$/),
    });
    const svg = new TextEncoder().encode(
      '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>',
    );
    await expect(measureImage(svg)).rejects.toMatchObject({ code: 'image/unsupported' });
    const tiny = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    await expect(measureImage(tiny)).rejects.toMatchObject({ code: 'image/too-small' });
    await expect(measureImage(new Uint8Array(0))).rejects.toMatchObject({ code: 'image/corrupt' });
  });
});
