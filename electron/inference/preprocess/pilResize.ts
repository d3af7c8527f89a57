// Inference process: a port of Pillow's antialiased convolution resize (ImagingResample) for 8-bit RGB:
// horizontal pass then vertical pass, fixed-point coefficients and uint8 clipping between passes, as Pillow does.

/** A filter: its support radius and kernel function. */
interface Filter {
  support: number;
  fn: (x: number) => number;
}

/** Pillow's bicubic kernel (a = −0.5), support 2. */
export const BICUBIC: Filter = {
  support: 2,
  fn: (xIn: number): number => {
    const a = -0.5;
    const x = Math.abs(xIn);
    if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
    return 0;
  },
};

const PRECISION_BITS = 32 - 8 - 2;

interface Coeffs {
  ksize: number;
  bounds: Int32Array; // [xmin, xcount] per output pixel
  kk: Int32Array; // fixed-point weights, ksize per output pixel
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for one axis. */
function precomputeCoeffs(inSize: number, in0: number, in1: number, outSize: number, filter: Filter): Coeffs {
  const scale = (in1 - in0) / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const pre = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.fn((x + xmin - center + 0.5) * ss);
      pre[x] = w;
      ww += w;
    }
    for (let x = 0; x < ksize; x++) {
      const v = x < xmax ? (ww !== 0 ? pre[x]! / ww : pre[x]!) : 0;
      kk[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * (1 << PRECISION_BITS)) : Math.trunc(0.5 + v * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

function clip8(v: number): number {
  const s = v >> PRECISION_BITS;
  return s < 0 ? 0 : s > 255 ? 255 : s;
}

function horizontal(src: Uint8Array, srcW: number, rows: number, rowOffset: number, outW: number, c: Coeffs): Uint8Array {
  const out = new Uint8Array(outW * rows * 3);
  const half = 1 << (PRECISION_BITS - 1);
  for (let y = 0; y < rows; y++) {
    const rowBase = (y + rowOffset) * srcW * 3;
    for (let xx = 0; xx < outW; xx++) {
      const xmin = c.bounds[xx * 2]!;
      const xcount = c.bounds[xx * 2 + 1]!;
      const kbase = xx * c.ksize;
      let s0 = half;
      let s1 = half;
      let s2 = half;
      for (let x = 0; x < xcount; x++) {
        const k = c.kk[kbase + x]!;
        const p = rowBase + (x + xmin) * 3;
        s0 += src[p]! * k;
        s1 += src[p + 1]! * k;
        s2 += src[p + 2]! * k;
      }
      const o = (y * outW + xx) * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return out;
}

function vertical(src: Uint8Array, w: number, outH: number, c: Coeffs, rowShift: number): Uint8Array {
  const out = new Uint8Array(w * outH * 3);
  const half = 1 << (PRECISION_BITS - 1);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = c.bounds[yy * 2]! - rowShift;
    const ycount = c.bounds[yy * 2 + 1]!;
    const kbase = yy * c.ksize;
    for (let x = 0; x < w; x++) {
      let s0 = half;
      let s1 = half;
      let s2 = half;
      for (let y = 0; y < ycount; y++) {
        const k = c.kk[kbase + y]!;
        const p = ((y + ymin) * w + x) * 3;
        s0 += src[p]! * k;
        s1 += src[p + 1]! * k;
        s2 += src[p + 2]! * k;
      }
      const o = (yy * w + x) * 3;
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
  }
  return out;
}

/**
 * Whether Pillow (13) runs the vertical pass first. Measured against Pillow 13.0.0 on 1,679 random size pairs
 * (test/fixtures/preprocess/make_goldens.py keeps cases on both sides of the boundary): vertical first exactly
 * when the image shrinks vertically by more than twice the pixels it shrinks horizontally.
 */
export function pillowVerticalFirst(w: number, h: number, outW: number, outH: number): boolean {
  return outH < h && h - outH > 2 * (w - outW);
}

/**
 * Resizes packed RGB (3 bytes per pixel) from w×h to outW×outH exactly as Pillow's `Image.resize(size, BICUBIC)`
 * does for an RGB image (box = the whole image). Same size returns a copy.
 */
export function pilResizeBicubic(src: Uint8Array, w: number, h: number, outW: number, outH: number): Uint8Array {
  if (src.length !== w * h * 3) throw new Error(`pilResizeBicubic: buffer is ${src.length} bytes, expected ${w * h * 3}`);
  const needH = outW !== w;
  const needV = outH !== h;
  if (!needH && !needV) return src.slice();
  const cx = precomputeCoeffs(w, 0, w, outW, BICUBIC);
  const cy = precomputeCoeffs(h, 0, h, outH, BICUBIC);
  if (!needV) return horizontal(src, w, h, 0, outW, cx);
  if (!needH) return vertical(src, w, outH, cy, 0);
  if (pillowVerticalFirst(w, h, outW, outH)) return horizontal(vertical(src, w, outH, cy, 0), w, outH, 0, outW, cx);
  // Only the rows the vertical pass reads go through the horizontal pass (as in Pillow).
  const yFirst = cy.bounds[0]!;
  const yLast = cy.bounds[(outH - 1) * 2]! + cy.bounds[(outH - 1) * 2 + 1]!;
  return vertical(horizontal(src, w, yLast - yFirst, yFirst, outW, cx), outW, outH, cy, yFirst);
}
