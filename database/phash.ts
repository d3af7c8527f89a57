// Perceptual hash (64-bit DCT pHash) of an image and the Hamming distance between two hashes (database worker).
import type { Sharp } from 'sharp';

const N = 32;
const K = 8;
const COS: Float64Array = (() => {
  const table = new Float64Array(N * N);
  for (let u = 0; u < N; u++) for (let x = 0; x < N; x++) table[u * N + x] = Math.cos(((2 * x + 1) * u * Math.PI) / (2 * N));
  return table;
})();

/** DCT-II coefficients [0..K)×[0..K) of an N×N grey image. */
function lowDct(pixels: Uint8Array): Float64Array {
  const rows = new Float64Array(K * N);
  for (let u = 0; u < K; u++) {
    for (let y = 0; y < N; y++) {
      let s = 0;
      for (let x = 0; x < N; x++) s += (pixels[y * N + x] ?? 0) * (COS[u * N + x] ?? 0);
      rows[u * N + y] = s;
    }
  }
  const out = new Float64Array(K * K);
  for (let v = 0; v < K; v++) {
    for (let u = 0; u < K; u++) {
      let s = 0;
      for (let y = 0; y < N; y++) s += (rows[u * N + y] ?? 0) * (COS[v * N + y] ?? 0);
      out[v * K + u] = s;
    }
  }
  return out;
}

/** 64-bit pHash of already-decoded 32×32 greyscale pixels, as 16 hex digits. */
export function phashFromPixels(pixels: Uint8Array): string {
  if (pixels.length !== N * N) throw new Error(`phash needs ${N * N} grey pixels, got ${pixels.length}`);
  const coeffs = lowDct(pixels);
  const ac = [...coeffs.slice(1)].sort((a, b) => a - b);
  const median = ((ac[31] ?? 0) + (ac[32] ?? 0)) / 2;
  let hex = '';
  for (let nibble = 0; nibble < 16; nibble++) {
    let value = 0;
    for (let bit = 0; bit < 4; bit++) value = (value << 1) | ((coeffs[nibble * 4 + bit] ?? 0) > median ? 1 : 0);
    hex += value.toString(16);
  }
  return hex;
}

/** Decodes the image fully (so truncated files fail here) and returns its pHash. */
export async function phash(image: Sharp): Promise<string> {
  const pixels = await image.clone().flatten({ background: '#ffffff' }).greyscale().resize(N, N, { fit: 'fill' }).raw().toBuffer();
  return phashFromPixels(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length));
}

function popcount32(v: number): number {
  let x = v - ((v >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** A hash split into two 32-bit halves, for fast distance loops. */
export function splitHash(hex: string): [number, number] {
  return [parseInt(hex.slice(0, 8), 16) >>> 0, parseInt(hex.slice(8, 16), 16) >>> 0];
}

/** Number of differing bits between two split hashes. */
export function hamming(a: readonly [number, number], b: readonly [number, number]): number {
  return popcount32((a[0] ^ b[0]) >>> 0) + popcount32((a[1] ^ b[1]) >>> 0);
}
