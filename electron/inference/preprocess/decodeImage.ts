// Inference process: reads and decodes an image file with sharp into packed 8-bit sRGB, safely: the header is
// checked (format, pixel limit) before any pixel is decoded; EXIF orientation applied; first frame of animations.
// BMP and TGA, which sharp's prebuilt libvips cannot read, go through the shared pure-JS decoders (same pixels as Pillow).
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { Metadata } from 'sharp';
import { AppFailure } from '../../shared/errors.ts';
import { decodeExtraFormat, rgbaToRgb, sniffExtraFormat } from '../../shared/imageFormats.ts';

/** Largest image accepted, in pixels (a decompression-bomb guard checked from the header). */
export const MAX_IMAGE_PIXELS = 64_000_000;
/** Largest image file accepted, in bytes. */
export const MAX_IMAGE_BYTES = 256 * 1024 * 1024;

const ACCEPTED = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif']);

/** A decoded image: packed RGB rows, its size after EXIF orientation, and the sha256 of the file bytes. */
export interface DecodedImage {
  rgb: Uint8Array;
  width: number;
  height: number;
  hash: string;
  format: string;
}

/** Reads `file` and decodes it. Errors: `image/not-found`, `image/corrupt`, `image/unsupported`, `image/too-large`. */
export async function decodeImageFile(file: string): Promise<DecodedImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (thrown) {
    const code = (thrown as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new AppFailure('image/not-found', `No image at ${file}`);
    if (code === 'EISDIR') throw new AppFailure('image/unsupported', `${file} is a folder, not an image`);
    throw new AppFailure('image/not-found', `Cannot read ${file}: ${code ?? String(thrown)}`);
  }
  return decodeImageBytes(bytes);
}

/** Decodes image bytes (see {@link decodeImageFile}); `knownHash` skips hashing bytes the caller already hashed. */
export async function decodeImageBytes(bytes: Buffer, knownHash?: string): Promise<DecodedImage> {
  if (bytes.length === 0) throw new AppFailure('image/corrupt', 'The image file is empty (0 bytes)');
  if (bytes.length > MAX_IMAGE_BYTES)
    throw new AppFailure('image/too-large', `The image file is ${bytes.length} bytes; the limit is ${MAX_IMAGE_BYTES}`);
  checkPngHeader(bytes);
  if (sniffExtraFormat(bytes)) {
    const image = await decodeExtraFormat(bytes, MAX_IMAGE_PIXELS);
    const hash = knownHash ?? createHash('sha256').update(bytes).digest('hex');
    return { rgb: rgbaToRgb(image.rgba), width: image.width, height: image.height, hash, format: image.format };
  }
  const meta = await readHeader(bytes);
  const hash = knownHash ?? createHash('sha256').update(bytes).digest('hex');
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'error', pages: 1, autoOrient: true })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoder produced ${info.channels} channels`);
    return {
      rgb: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
      hash,
      format: meta.format,
    };
  } catch (thrown) {
    throw new AppFailure('image/corrupt', `The ${meta.format.toUpperCase()} image could not be decoded: ${firstLine(thrown)}`);
  }
}

/** Refuses a PNG whose IHDR declares more than the pixel limit, before any decoder sees it. */
function checkPngHeader(bytes: Buffer): void {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  if (bytes.length < 24 || !sig.every((b, i) => bytes[i] === b) || bytes.toString('ascii', 12, 16) !== 'IHDR') return;
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new AppFailure(
      'image/too-large',
      `The image is ${width}×${height} (${((width * height) / 1e6).toFixed(0)} MP); the limit is ${MAX_IMAGE_PIXELS / 1e6} MP`,
      { width, height },
    );
  }
}

async function readHeader(bytes: Buffer): Promise<{ format: string; width: number; height: number }> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (thrown) {
    const msg = firstLine(thrown);
    if (/unsupported image format/i.test(msg))
      throw new AppFailure(
        'image/unsupported',
        'The file is not an image in a supported format (JPEG, PNG, WebP, GIF, TIFF, AVIF, BMP, TGA)',
      );
    throw new AppFailure('image/corrupt', `The image header could not be read: ${msg}`);
  }
  const format = meta.format ?? 'unknown';
  if (!ACCEPTED.has(format))
    throw new AppFailure(
      'image/unsupported',
      `${format.toUpperCase()} images are not supported (JPEG, PNG, WebP, GIF, TIFF, AVIF, BMP, TGA are)`,
    );
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width <= 0 || height <= 0) throw new AppFailure('image/corrupt', 'The image declares no size');
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new AppFailure(
      'image/too-large',
      `The image is ${width}×${height} (${((width * height) / 1e6).toFixed(0)} MP); the limit is ${MAX_IMAGE_PIXELS / 1e6} MP`,
      { width, height },
    );
  }
  return { format, width, height };
}

function firstLine(thrown: unknown): string {
  const msg = thrown instanceof Error ? thrown.message : String(thrown);
  return msg.split('\n')[0] ?? msg;
}
