// Image formats Pillow reads but sharp's prebuilt libvips does not (BMP, TGA): recognised from their header,
// size-checked before any pixel is decoded, then decoded with a pure-JS library into 8-bit RGBA. Used by the
// image store (database worker) and the engine's decode (inference process) alike, so both read the same pixels.
//
// Libraries (measured against Pillow 13 in test/electron/shared/imageFormats.test.ts, exact match):
// - BMP: bmp-ts (the decoder jimp uses): 1/4/8-bit palettes, 24-bit, 32-bit with and without bit-field masks,
//   top-down rows. Not accepted: 16-bit (bmp-ts widens 5-bit channels by a shift where Pillow scales, ~116 of 117
//   pixels off by up to 7) and RLE4/RLE8 (bmp-ts mis-decodes run-length rows), refused with a clear error instead.
//   decode-bmp was measured too: no top-down rows, no 16-bit, so bmp-ts.
// - TGA: @lunapaint/tga-codec: true colour, grey, colour-mapped, RLE; exact on all of them.
// Netpbm (PPM/PGM/PBM) and ICO are not accepted: sharp's prebuilt has no loader for them and no maintained npm
// decoder was found for Netpbm (see the import report in docs).
import { decode as decodeBmp } from 'bmp-ts';
import { decodeTga } from '@lunapaint/tga-codec';
import { AppFailure } from './errors.ts';

/** Formats decoded here rather than by sharp. */
export const EXTRA_IMAGE_FORMATS = ['bmp', 'tga'] as const;
/** One of {@link EXTRA_IMAGE_FORMATS}. */
export type ExtraImageFormat = (typeof EXTRA_IMAGE_FORMATS)[number];

/** Decoded pixels: packed RGBA rows (alpha as stored; callers drop it as Pillow's `convert('RGB')` does). */
export interface RgbaImage {
  format: ExtraImageFormat;
  width: number;
  height: number;
  rgba: Uint8Array;
}

interface Header {
  format: ExtraImageFormat;
  width: number;
  height: number;
}

const TGA_TYPES = new Set([1, 2, 3, 9, 10, 11]);
const TGA_DEPTHS = new Set([8, 15, 16, 24, 32]);

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function bmpHeader(bytes: Uint8Array): Header | null {
  if (bytes.length < 30 || bytes[0] !== 0x42 || bytes[1] !== 0x4d) return null;
  const v = view(bytes);
  const infoSize = v.getUint32(14, true);
  if (infoSize < 40) return { format: 'bmp', width: v.getUint16(18, true), height: v.getUint16(20, true) };
  const depth = v.getUint16(28, true);
  const compression = bytes.length >= 34 ? v.getUint32(30, true) : 0;
  if (depth === 16 || compression === 1 || compression === 2 || compression === 4 || compression === 5)
    throw new AppFailure(
      'image/unsupported',
      `This BMP (${depth}-bit, compression ${compression}) is not supported; 1/4/8/24/32-bit uncompressed BMP are`,
    );
  return { format: 'bmp', width: Math.abs(v.getInt32(18, true)), height: Math.abs(v.getInt32(22, true)) };
}

/** TGA has no magic number: the v2 footer, else a plausible header (as Pillow checks it). */
function tgaHeader(bytes: Uint8Array): Header | null {
  if (bytes.length < 18) return null;
  const footer = new TextDecoder('latin1').decode(bytes.subarray(bytes.length - 18, bytes.length - 2));
  const plausible = (bytes[1] === 0 || bytes[1] === 1) && TGA_TYPES.has(bytes[2]!) && TGA_DEPTHS.has(bytes[16]!);
  if (footer !== 'TRUEVISION-XFILE' && !plausible) return null;
  const v = view(bytes);
  return { format: 'tga', width: v.getUint16(12, true), height: v.getUint16(14, true) };
}

/** The extra format `bytes` is in, with its declared size, or null when it is none of them. */
export function sniffExtraFormat(bytes: Uint8Array): Header | null {
  return bmpHeader(bytes) ?? tgaHeader(bytes);
}

/**
 * Decodes a BMP or TGA file. Errors: `image/unsupported` (not one of them, or an unsupported variant),
 * `image/too-large` (more than `maxPixels`, checked from the header), `image/corrupt`.
 */
export async function decodeExtraFormat(bytes: Uint8Array, maxPixels: number): Promise<RgbaImage> {
  const header = sniffExtraFormat(bytes);
  if (!header) throw new AppFailure('image/unsupported', 'The file is not a BMP or TGA image');
  const { format, width, height } = header;
  if (width <= 0 || height <= 0) throw new AppFailure('image/corrupt', `The ${format.toUpperCase()} image declares no size`);
  if (width * height > maxPixels)
    throw new AppFailure('image/too-large', `The image is ${width}×${height}; the limit is ${maxPixels / 1e6} MP`, { width, height });
  try {
    return format === 'bmp' ? bmpPixels(bytes) : await tgaPixels(bytes);
  } catch (thrown) {
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    throw new AppFailure('image/corrupt', `The ${format.toUpperCase()} image could not be decoded: ${message.split('\n')[0]}`);
  }
}

function bmpPixels(bytes: Uint8Array): RgbaImage {
  // bmp-ts reads through Buffer methods and writes ABGR for every depth when toRGBA is false (its toRGBA flag is
  // ignored for palette images, so the one consistent layout is ABGR).
  const decoded = decodeBmp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { toRGBA: false });
  const { width, height } = decoded;
  const abgr = decoded.data;
  if (abgr.length < width * height * 4) throw new Error('truncated pixel data');
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[i * 4] = abgr[i * 4 + 3]!;
    rgba[i * 4 + 1] = abgr[i * 4 + 2]!;
    rgba[i * 4 + 2] = abgr[i * 4 + 1]!;
    rgba[i * 4 + 3] = abgr[i * 4]!;
  }
  return { format: 'bmp', width, height, rgba };
}

async function tgaPixels(bytes: Uint8Array): Promise<RgbaImage> {
  const { image } = await decodeTga(bytes);
  return {
    format: 'tga',
    width: image.width,
    height: image.height,
    rgba: new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.length),
  };
}

/** Packed RGB from RGBA (alpha dropped, not composited: what Pillow's `convert('RGB')` does). */
export function rgbaToRgb(rgba: Uint8Array): Uint8Array {
  const n = rgba.length / 4;
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    rgb[i * 3] = rgba[i * 4]!;
    rgb[i * 3 + 1] = rgba[i * 4 + 1]!;
    rgb[i * 3 + 2] = rgba[i * 4 + 2]!;
  }
  return rgb;
}
