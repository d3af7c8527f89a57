// Content-addressed image store: decodes and measures with sharp (BMP and TGA with the shared pure-JS decoders the
// engine uses), names files by sha256, writes atomically (database worker).
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { Metadata, Sharp } from 'sharp';
import { AppFailure } from '../electron/shared/errors.ts';
import { decodeExtraFormat, sniffExtraFormat } from '../electron/shared/imageFormats.ts';
import { phash } from './phash.ts';
import { replaceViaTemp } from './safePath.ts';

/** Largest accepted file (bytes) and pixel count. */
export const MAX_IMAGE_BYTES = 100 * 1024 * 1024;
export const MAX_IMAGE_PIXELS = 100_000_000;
/** Smallest accepted side in pixels. */
export const MIN_IMAGE_SIDE = 8;

const EXTENSIONS: Record<string, string> = {
  png: 'png',
  jpeg: 'jpg',
  webp: 'webp',
  gif: 'gif',
  tiff: 'tif',
  avif: 'avif',
  heif: 'heic',
  bmp: 'bmp',
  tga: 'tga',
};

/** What decoding an image yields, before it is stored. */
export interface MeasuredImage {
  sha256: string;
  width: number;
  height: number;
  format: string;
  ext: string;
  bytes: number;
  phash: string;
}

/** The file path of an image inside the store. */
export function storedPath(imagesDir: string, sha256: string, ext: string): string {
  return path.join(imagesDir, sha256.slice(0, 2), `${sha256}.${ext}`);
}

/** A sharp pipeline over the image and its metadata; BMP and TGA are decoded first and handed over as raw RGBA. */
async function openImage(bytes: Uint8Array): Promise<{ image: Sharp; meta: Metadata; format: string | undefined }> {
  if (sniffExtraFormat(bytes)) {
    const decoded = await decodeExtraFormat(bytes, MAX_IMAGE_PIXELS);
    const image = sharp(decoded.rgba, { raw: { width: decoded.width, height: decoded.height, channels: 4 } });
    return { image, meta: await image.metadata(), format: decoded.format };
  }
  const image = sharp(bytes, { failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS, pages: 1 });
  try {
    const meta = await image.metadata();
    return { image, meta, format: meta.format };
  } catch (thrown) {
    throw new AppFailure('image/unsupported', `Not an image this app can read: ${(thrown as Error).message}`);
  }
}

/** Decodes `bytes` fully, checks format and size, and computes sha256 and pHash. Errors: `image/*`. */
export async function measureImage(bytes: Uint8Array): Promise<MeasuredImage> {
  if (bytes.length === 0) throw new AppFailure('image/corrupt', 'The image file is empty.');
  if (bytes.length > MAX_IMAGE_BYTES)
    throw new AppFailure('image/too-large', `The image is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB.`);
  const { image, meta, format } = await openImage(bytes);
  const ext = format ? EXTENSIONS[format] : undefined;
  if (!ext)
    throw new AppFailure(
      'image/unsupported',
      `Image format ${String(format)} is not supported (use PNG, JPEG, WebP, GIF, TIFF, AVIF, BMP or TGA).`,
    );
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw new AppFailure('image/corrupt', 'The image has no size.');
  if (width * height > MAX_IMAGE_PIXELS) throw new AppFailure('image/too-large', `The image has more than ${MAX_IMAGE_PIXELS} pixels.`);
  if (width < MIN_IMAGE_SIDE || height < MIN_IMAGE_SIDE)
    throw new AppFailure('image/too-small', `The image is smaller than ${MIN_IMAGE_SIDE}×${MIN_IMAGE_SIDE} pixels.`);
  let hash: string;
  try {
    hash = await phash(image);
  } catch (thrown) {
    throw new AppFailure('image/corrupt', `The image could not be decoded: ${(thrown as Error).message}`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { sha256, width, height, format: format ?? ext, ext, bytes: bytes.length, phash: hash };
}

/** Writes the bytes under their hash unless already there (temp file + rename, so a crash never leaves half a file). */
export async function writeImageFile(imagesDir: string, image: MeasuredImage, bytes: Uint8Array): Promise<string> {
  const target = storedPath(imagesDir, image.sha256, image.ext);
  try {
    const stat = await fs.stat(target);
    if (stat.size === image.bytes) return target;
  } catch {
    // Not stored yet.
  }
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  await replaceViaTemp(temp, target, (file) => fs.writeFile(file, bytes, { flag: 'wx' }));
  return target;
}
