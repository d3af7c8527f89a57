// Unit: BMP and TGA (formats Pillow reads, sharp's prebuilt does not) decode to exactly Pillow's pixels in the
// engine (decodeImageBytes) and are measured and stored by the image store; unsupported variants are refused
// by name. The images and Pillow's pixels are made by test/fixtures/imageFormats/pillow_cases.py in the .venv.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImageBytes } from '../../../electron/inference/preprocess/decodeImage.ts';
import { measureImage, storedPath, writeImageFile } from '../../../database/imageStore.ts';
import { AppFailure } from '../../../electron/shared/errors.ts';

interface Case {
  file: string;
  width: number;
  height: number;
  mode: string;
  expect: 'decoded' | 'refused';
}

const PYTHON = path.resolve('.venv/bin/python');
let dir = '';
let cases: Case[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slime-formats-'));
  execFileSync(PYTHON, ['test/fixtures/imageFormats/pillow_cases.py', dir], { stdio: 'pipe' });
  cases = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8')) as Case[];
});

describe('BMP and TGA against Pillow', () => {
  it('covers palette, grey, true colour, alpha, top-down, bit-field and RLE layouts', () => {
    expect(cases.filter((c) => c.expect === 'decoded').length).toBeGreaterThanOrEqual(12);
    expect(new Set(cases.map((c) => c.mode))).toEqual(new Set(['RGB', 'RGBA', 'L', 'P', '1']));
  });

  it('the engine decodes every accepted variant to exactly the pixels Pillow gives (tolerance 0)', async () => {
    for (const c of cases.filter((x) => x.expect === 'decoded')) {
      const bytes = fs.readFileSync(path.join(dir, c.file));
      const want = fs.readFileSync(path.join(dir, `${c.file}.rgb`));
      const got = await decodeImageBytes(bytes);
      expect([c.file, got.width, got.height, got.format]).toEqual([c.file, c.width, c.height, path.extname(c.file).slice(1)]);
      let differing = 0;
      for (let i = 0; i < want.length; i++) if (got.rgb[i] !== want[i]) differing++;
      expect([c.file, differing]).toEqual([c.file, 0]);
    }
  });

  it('the image store measures and stores them under their own extension', async () => {
    const images = fs.mkdtempSync(path.join(os.tmpdir(), 'slime-formats-store-'));
    for (const c of cases.filter((x) => x.expect === 'decoded')) {
      const bytes = fs.readFileSync(path.join(dir, c.file));
      const m = await measureImage(bytes);
      expect([c.file, m.width, m.height, m.ext]).toEqual([c.file, c.width, c.height, path.extname(c.file).slice(1)]);
      expect(m.phash).toMatch(/^[0-9a-f]{16}$/);
      await writeImageFile(images, m, bytes);
      expect(fs.readFileSync(storedPath(images, m.sha256, m.ext)).equals(bytes)).toBe(true);
    }
  });

  it('refuses 16-bit and RLE BMP by name in both places instead of decoding wrong pixels', async () => {
    for (const c of cases.filter((x) => x.expect === 'refused')) {
      const bytes = fs.readFileSync(path.join(dir, c.file));
      for (const decode of [() => decodeImageBytes(bytes), () => measureImage(bytes)]) {
        const e = await decode().catch((thrown: unknown) => thrown);
        expect(e).toBeInstanceOf(AppFailure);
        expect((e as AppFailure).code).toBe('image/unsupported');
        expect((e as AppFailure).message).toMatch(/This BMP \((16-bit, compression 0|8-bit, compression 1)\) is not supported/);
      }
    }
  });

  it('checks the declared size before decoding (a BMP claiming 100k × 100k is refused as too large)', async () => {
    const bytes = fs.readFileSync(path.join(dir, 'rgb24.bmp'));
    const bomb = Buffer.from(bytes);
    bomb.writeInt32LE(100_000, 18);
    bomb.writeInt32LE(100_000, 22);
    await expect(decodeImageBytes(bomb)).rejects.toMatchObject({ code: 'image/too-large' });
    await expect(measureImage(bomb)).rejects.toMatchObject({ code: 'image/too-large' });
    const truncated = bytes.subarray(0, 200);
    await expect(decodeImageBytes(truncated)).rejects.toMatchObject({ code: 'image/corrupt' });
  });
});
