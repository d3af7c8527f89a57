// A brute-force cosine index over L2-normalised float32 vectors (database worker). Kept ours rather than sqlite-vec:
// see docs/mining.md for the measured reason (bench/vecsearch.ts: 100k × 256 top-10 within the 50 ms target).

/** One hit: the key and its cosine similarity (dot product of unit vectors). */
export interface Hit {
  key: string;
  score: number;
}

/** Rows packed in one growing Float32Array; a key's row is replaced in place. */
export class VectorIndex {
  readonly dim: number;
  private data: Float32Array;
  private keys: string[] = [];
  private readonly rowOf = new Map<string, number>();

  constructor(dim: number) {
    this.dim = dim;
    this.data = new Float32Array(Math.max(1, dim) * 1024);
  }

  get size(): number {
    return this.keys.length;
  }

  /** Dot product of two equal-length vectors. */
  static dot(a: Float32Array, b: Float32Array): number {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
    return s;
  }

  /** Adds or replaces the vector of `key`. */
  set(key: string, vector: Float32Array): void {
    if (vector.length !== this.dim) throw new Error(`vector of ${vector.length} values in an index of dimension ${this.dim}`);
    let row = this.rowOf.get(key);
    if (row === undefined) {
      row = this.keys.length;
      if ((row + 1) * this.dim > this.data.length) {
        const grown = new Float32Array(this.data.length * 2);
        grown.set(this.data);
        this.data = grown;
      }
      this.keys.push(key);
      this.rowOf.set(key, row);
    }
    this.data.set(vector, row * this.dim);
  }

  /** The `k` rows with the highest dot product with `query`, best first, leaving out `exclude`. */
  search(query: Float32Array, k: number, exclude?: string): Hit[] {
    const d = this.dim;
    const bestScore = new Float64Array(k).fill(-Infinity);
    const bestRow = new Int32Array(k).fill(-1);
    const skip = exclude === undefined ? -1 : (this.rowOf.get(exclude) ?? -1);
    for (let r = 0; r < this.keys.length; r++) {
      if (r === skip) continue;
      let s = 0;
      const o = r * d;
      for (let i = 0; i < d; i++) s += this.data[o + i]! * query[i]!;
      if (s <= bestScore[k - 1]!) continue;
      let at = k - 1;
      while (at > 0 && bestScore[at - 1]! < s) {
        bestScore[at] = bestScore[at - 1]!;
        bestRow[at] = bestRow[at - 1]!;
        at--;
      }
      bestScore[at] = s;
      bestRow[at] = r;
    }
    const hits: Hit[] = [];
    for (let i = 0; i < k; i++) if (bestRow[i]! >= 0) hits.push({ key: this.keys[bestRow[i]!]!, score: bestScore[i]! });
    return hits;
  }
}
