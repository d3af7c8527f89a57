// Inference process: the decoder's KV cache — one pre-allocated key and value buffer per layer, shared by the past
// input and the present output of each decoder run (GroupQueryAttention appends in place), grown in steps.
import { Tensor } from 'onnxruntime-node';
import { AppFailure } from '../shared/errors.ts';
import type { KvDtype } from '../shared/manifest.ts';

/** Shape and element type of a model's cache. */
export interface KvSpec {
  layers: number;
  kvHeads: number;
  headDim: number;
  dtype: KvDtype;
}

type KvArray = Float32Array | Uint16Array;

/**
 * A tensor over `data` itself. Where the runtime has `Float16Array` (Node 24), onnxruntime-common re-views a float16
 * tensor's Uint16Array as a Float16Array, which the onnxruntime-node 1.30 binding reads as empty ("not enough space");
 * the tensor is given back the Uint16Array view of the same memory, which the binding accepts (no copy either way).
 */
function kvTensor(dtype: KvDtype, data: KvArray, dims: number[]): Tensor {
  const t = new Tensor(dtype, data, dims);
  if (dtype === 'float16' && !(t.data instanceof Uint16Array)) (t as unknown as { cpuData: KvArray }).cpuData = data;
  return t;
}

/** The smallest growth step, in rows. */
const MIN_STEP = 16;

/**
 * Capacity for `total` rows: rounded up to a step of about √(2·total) rows (at least {@link MIN_STEP}). onnxruntime-node
 * copies every fetched output back to JS after each run, so spare rows cost on every step while growth costs one copy
 * of the cache per step's worth of rows; √(2·total) balances the two.
 */
export function capacityFor(total: number): number {
  const step = Math.max(MIN_STEP, Math.ceil(Math.sqrt(2 * total) / MIN_STEP) * MIN_STEP);
  return Math.max(step, Math.ceil(total / step) * step);
}

/**
 * The KV cache of one decoder: rows [0, length) of every buffer are valid and `rows` names what each one holds (a
 * token, an image row), so a new prompt can keep the prefix it shares with the last one by a length change. Only one
 * user may run the decoder on it at a time ({@link KvCache.lease}); the engine's queue guarantees that, the lease
 * makes a breach fail loudly instead of mixing two requests' rows.
 */
export class KvCache {
  readonly spec: KvSpec;
  private ids: string[] = [];
  private cap = 0;
  private buffers: KvArray[] = [];
  private tensors: Tensor[] = [];
  private holder: string | null = null;

  /** An empty cache (no buffers until the first {@link reserve}). */
  constructor(spec: KvSpec) {
    this.spec = spec;
  }

  /** Rows held. */
  get length(): number {
    return this.ids.length;
  }

  /** Rows the buffers can hold without growing. */
  get capacity(): number {
    return this.cap;
  }

  /** The identity of every held row, in order. */
  get rows(): readonly string[] {
    return this.ids;
  }

  /** Who holds the lease, or null. */
  get leasedBy(): string | null {
    return this.holder;
  }

  /** Runs `fn` as the cache's only user; another lease while it runs throws `inference/failed`. */
  async lease<T>(owner: string, fn: () => Promise<T>): Promise<T> {
    if (this.holder !== null)
      throw new AppFailure('inference/failed', `the KV cache is in use by ${this.holder}; ${owner} must wait for it`);
    this.holder = owner;
    try {
      return await fn();
    } finally {
      this.holder = null;
    }
  }

  /** Forgets every row from `n` on (the buffers keep their capacity). */
  truncate(n: number): void {
    if (n < 0 || n > this.ids.length) throw new RangeError(`cannot truncate a ${this.ids.length}-row KV cache to ${n}`);
    this.ids.length = n;
  }

  /** Grows the buffers so `total` rows fit, keeping the rows already held. */
  reserve(total: number): void {
    if (total <= this.cap) return;
    const cap = capacityFor(total);
    const { kvHeads, headDim, layers, dtype } = this.spec;
    const n = this.ids.length;
    const next: KvArray[] = [];
    for (let i = 0; i < layers * 2; i++) {
      const dst = dtype === 'float16' ? new Uint16Array(kvHeads * cap * headDim) : new Float32Array(kvHeads * cap * headDim);
      const src = this.buffers[i];
      if (src)
        for (let h = 0; h < kvHeads; h++) {
          const from = h * this.cap * headDim;
          dst.set(src.subarray(from, from + n * headDim), h * cap * headDim);
        }
      next.push(dst);
    }
    this.buffers = next;
    this.tensors = next.map((b) => kvTensor(dtype, b, [1, kvHeads, cap, headDim]));
    this.cap = cap;
  }

  /**
   * Adds each layer's buffer to `feeds` as `past_key_values.{l}.key|value` and to `fetches` as the pre-allocated
   * `present.{l}.key|value`: the same tensor both ways, so the decoder writes the new rows in place.
   */
  bind(feeds: Record<string, Tensor>, fetches: Record<string, Tensor | null>): void {
    if (this.tensors.length === 0) throw new AppFailure('inference/failed', 'the KV cache has no buffers; reserve rows first');
    for (let l = 0; l < this.spec.layers; l++)
      for (const [k, kind] of ['key', 'value'].entries()) {
        const t = this.tensors[l * 2 + k]!;
        feeds[`past_key_values.${l}.${kind}`] = t;
        fetches[`present.${l}.${kind}`] = t;
      }
  }

  /** Records rows the decoder has just written after the held ones. */
  append(rows: readonly string[]): void {
    if (this.ids.length + rows.length > this.cap)
      throw new RangeError(`${rows.length} rows do not fit a ${this.cap}-row KV cache holding ${this.ids.length}`);
    for (const r of rows) this.ids.push(r);
  }

  /** A copy of row `row` of head `head` in layer `layer`'s key (`kind` 0) or value (1) buffer (tests, diagnostics). */
  peek(layer: number, kind: 0 | 1, head: number, row: number): Float32Array | Uint16Array {
    const hd = this.spec.headDim;
    const at = (head * this.cap + row) * hd;
    return this.buffers[layer * 2 + kind]!.slice(at, at + hd);
  }
}
