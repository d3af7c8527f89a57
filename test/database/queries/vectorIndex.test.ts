// Unit: the similar-images index — the WebAssembly SIMD scan gives the same top k (scores within float32 rounding)
// as a float64 JavaScript reference and as its own JavaScript fallback, across growth, in-place replacement, a
// dimension that is not a multiple of 4 and an excluded key.
import { describe, expect, it } from 'vitest';
import { VectorIndex, type Hit } from '../../../database/queries/vectorIndex.ts';
import { simdSupported } from '../../../database/queries/simdScan.ts';

let seed = 11;
const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

function unit(dim: number): Float32Array {
  const v = Float32Array.from({ length: dim }, () => random() - 0.5);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function reference(rows: Map<string, Float32Array>, query: Float32Array, k: number, exclude?: string): Hit[] {
  const scored = [...rows]
    .filter(([key]) => key !== exclude)
    .map(([key, v]) => ({ key, score: v.reduce((s, x, i) => s + x * query[i]!, 0) }));
  return scored.sort((a, b) => b.score - a.score).slice(0, k);
}

describe('VectorIndex', () => {
  it('runs the SIMD scan here (Node 24 and Electron have WebAssembly SIMD)', () => {
    expect(simdSupported()).toBe(true);
    expect(new VectorIndex(8).simd).toBe(true);
    expect(new VectorIndex(8, { simd: false }).simd).toBe(false);
  });

  for (const dim of [256, 7]) {
    it(`finds the reference top 10 at dimension ${dim}, through growth and replacement, SIMD and JavaScript alike`, () => {
      const simd = new VectorIndex(dim);
      const js = new VectorIndex(dim, { simd: false });
      const rows = new Map<string, Float32Array>();
      const put = (key: string, v: Float32Array): void => {
        rows.set(key, v);
        simd.set(key, v);
        js.set(key, v);
      };
      for (let i = 0; i < 3000; i++) {
        put(`k${i}`, unit(dim));
        // Search between growths, so later rows land where an earlier scan wrote its scores.
        if (i === 1500) simd.search(unit(dim), 10);
      }
      for (let i = 0; i < 300; i++) put(`k${i * 7}`, unit(dim));
      expect(simd.size).toBe(3000);
      for (let q = 0; q < 5; q++) {
        const query = unit(dim);
        const exclude = q % 2 ? `k${q * 100}` : undefined;
        const want = reference(rows, query, 10, exclude);
        for (const got of [simd.search(query, 10, exclude), js.search(query, 10, exclude)]) {
          expect(got.map((h) => h.key)).toEqual(want.map((h) => h.key));
          got.forEach((h, i) => expect(Math.abs(h.score - want[i]!.score)).toBeLessThan(1e-5));
        }
      }
    });
  }

  it('takes a row from stored bytes at any byte offset, as SQLite hands blobs over', () => {
    const [fromBytes, fromFloats] = [new VectorIndex(7), new VectorIndex(7)];
    for (let i = 0; i < 50; i++) {
      const v = unit(7);
      const unaligned = Buffer.alloc(7 * 4 + 1);
      Buffer.from(v.buffer).copy(unaligned, 1);
      fromBytes.setBytes(`k${i}`, unaligned.subarray(1));
      fromFloats.set(`k${i}`, v);
    }
    const query = unit(7);
    expect(fromBytes.search(query, 5)).toEqual(fromFloats.search(query, 5));
    expect(() => fromBytes.setBytes('x', new Uint8Array(8))).toThrow(/8 bytes for a vector of dimension 7/);
  });

  it('refuses vectors and queries of another dimension', () => {
    const index = new VectorIndex(4);
    expect(() => index.set('a', new Float32Array(5))).toThrow(/dimension 4/);
    expect(() => index.search(new Float32Array(3), 1)).toThrow(/dimension 4/);
  });
});
