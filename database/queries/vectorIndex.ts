// A brute-force cosine index over L2-normalised float32 vectors (database worker). Kept ours rather than sqlite-vec:
// see docs/mining.md for the measured reason (bench/vecsearch.ts: 100k × 256 top-10). The rows live in the memory of
// a small WebAssembly SIMD module (simdScan.ts) that computes every row's dot product with the query; the top k are
// then picked here. Without WebAssembly SIMD the same scan runs in JavaScript (`simd: false` forces it, for tests).
import { newScanner, type ScanExports } from './simdScan.ts';

/** One hit: the key and its cosine similarity (dot product of unit vectors). */
export interface Hit {
  key: string;
  score: number;
}

const FLOAT = 4;
const PAGE = 65_536;

/** Rows packed in one growing buffer (zero-padded to a multiple of 4 values); a key's row is replaced in place. */
export class VectorIndex {
  readonly dim: number;
  /** Values per stored row: `dim` rounded up to a multiple of 4 (the SIMD width). */
  private readonly stride: number;
  private readonly scanner: ScanExports | null;
  private capacity = 0;
  /** Byte offsets in the scanner's memory: the query, then the rows, then one score per row. */
  private readonly rowsAt: number;
  private rows = new Float32Array(0);
  private keys: string[] = [];
  private readonly rowOf = new Map<string, number>();

  constructor(dim: number, options: { simd?: boolean } = {}) {
    this.dim = dim;
    this.stride = Math.ceil(Math.max(1, dim) / 4) * 4;
    this.scanner = options.simd === false ? null : newScanner();
    this.rowsAt = Math.ceil((this.stride * FLOAT) / 16) * 16;
    this.grow(1024);
  }

  get size(): number {
    return this.keys.length;
  }

  /** True when searches run in WebAssembly SIMD. */
  get simd(): boolean {
    return this.scanner !== null;
  }

  /** Dot product of two equal-length vectors. */
  static dot(a: Float32Array, b: Float32Array): number {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
    return s;
  }

  private grow(capacity: number): void {
    if (this.scanner) {
      const mem = this.scanner.mem;
      const need = this.rowsAt + capacity * (this.stride + 1) * FLOAT;
      if (need > mem.buffer.byteLength) mem.grow(Math.ceil((need - mem.buffer.byteLength) / PAGE));
      this.rows = new Float32Array(mem.buffer, this.rowsAt, capacity * this.stride);
    } else {
      const old = this.rows;
      this.rows = new Float32Array(capacity * this.stride);
      this.rows.set(old);
    }
    this.capacity = capacity;
  }

  /** The first value's index of `key`'s row (a new row when absent), its padding zeroed. */
  private rowStart(key: string): number {
    let row = this.rowOf.get(key);
    if (row === undefined) {
      row = this.keys.length;
      if (row >= this.capacity) this.grow(this.capacity * 2);
      this.keys.push(key);
      this.rowOf.set(key, row);
    }
    const at = row * this.stride;
    // The padding must be zero: after a growth these bytes may have held the previous scan's scores.
    if (this.stride > this.dim) this.rows.fill(0, at + this.dim, at + this.stride);
    return at;
  }

  /** Adds or replaces the vector of `key`. */
  set(key: string, vector: Float32Array): void {
    if (vector.length !== this.dim) throw new Error(`vector of ${vector.length} values in an index of dimension ${this.dim}`);
    const at = this.rowStart(key); // first: it may grow (and replace) this.rows
    this.rows.set(vector, at);
  }

  /** Adds or replaces the vector of `key` from its stored bytes (little-endian float32, as SQLite keeps them). */
  setBytes(key: string, bytes: Uint8Array): void {
    if (bytes.length !== this.dim * FLOAT) throw new Error(`${bytes.length} bytes for a vector of dimension ${this.dim}`);
    const at = this.rowStart(key);
    new Uint8Array(this.rows.buffer, this.rows.byteOffset + at * FLOAT, bytes.length).set(bytes);
  }

  /** Every row's dot product with `query`. */
  private scores(query: Float32Array): Float32Array {
    const n = this.keys.length;
    if (this.scanner) {
      const { mem, scan } = this.scanner;
      new Float32Array(mem.buffer, 0, this.stride).set(query);
      const scoresAt = this.rowsAt + this.capacity * this.stride * FLOAT;
      scan(0, this.rowsAt, n, this.stride, scoresAt);
      return new Float32Array(mem.buffer, scoresAt, n);
    }
    const out = new Float32Array(n);
    const rows = this.rows;
    const d = this.dim;
    for (let r = 0, o = 0; r < n; r++, o += this.stride) {
      let s = 0;
      for (let i = 0; i < d; i++) s += rows[o + i]! * query[i]!;
      out[r] = s;
    }
    return out;
  }

  /** The `k` rows with the highest dot product with `query`, best first (ties: the earlier row), leaving out `exclude`. */
  search(query: Float32Array, k: number, exclude?: string): Hit[] {
    if (query.length !== this.dim) throw new Error(`query of ${query.length} values in an index of dimension ${this.dim}`);
    const scores = this.scores(query);
    const bestScore = new Float64Array(k).fill(-Infinity);
    const bestRow = new Int32Array(k).fill(-1);
    const skip = exclude === undefined ? -1 : (this.rowOf.get(exclude) ?? -1);
    let floor = -Infinity;
    for (let r = 0; r < scores.length; r++) {
      const s = scores[r]!;
      if (s <= floor || r === skip) continue;
      let at = k - 1;
      while (at > 0 && bestScore[at - 1]! < s) {
        bestScore[at] = bestScore[at - 1]!;
        bestRow[at] = bestRow[at - 1]!;
        at--;
      }
      bestScore[at] = s;
      bestRow[at] = r;
      floor = bestScore[k - 1]!;
    }
    const hits: Hit[] = [];
    for (let i = 0; i < k; i++) if (bestRow[i]! >= 0) hits.push({ key: this.keys[bestRow[i]!]!, score: bestScore[i]! });
    return hits;
  }
}
