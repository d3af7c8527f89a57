// Inference process: the BPE model of a tokenizer.json — merges by rank with a heap (linear-ish on long
// words), ignore_merges, byte fallback, unk fusing, and a word cache.

/** The `model` node of tokenizer.json for BPE. */
export interface BpeSpec {
  type: 'BPE';
  vocab: Record<string, number>;
  merges: (string | [string, string])[];
  unk_token?: string | null;
  fuse_unk?: boolean;
  byte_fallback?: boolean;
  ignore_merges?: boolean;
  continuing_subword_prefix?: string | null;
  end_of_word_suffix?: string | null;
}

interface HeapItem {
  rank: number;
  pos: number;
  left: number;
}

function heapPush(h: HeapItem[], it: HeapItem): void {
  h.push(it);
  let i = h.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (less(h[p]!, h[i]!)) break;
    [h[p], h[i]] = [h[i]!, h[p]!];
    i = p;
  }
}

function heapPop(h: HeapItem[]): HeapItem | undefined {
  const top = h[0];
  const last = h.pop();
  if (h.length > 0 && last) {
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && less(h[l]!, h[m]!)) m = l;
      if (r < h.length && less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
  }
  return top;
}

function less(a: HeapItem, b: HeapItem): boolean {
  return a.rank < b.rank || (a.rank === b.rank && a.pos < b.pos);
}

/** A BPE model: piece → ids. */
export class BpeModel {
  readonly vocab: Map<string, number>;
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, number[]>();
  private readonly spec: BpeSpec;
  private readonly unkId: number | undefined;

  constructor(spec: BpeSpec) {
    this.spec = spec;
    this.vocab = new Map(Object.entries(spec.vocab));
    spec.merges.forEach((m, rank) => {
      const [a, b] = typeof m === 'string' ? splitMerge(m) : m;
      this.ranks.set(`${a}\u0000${b}`, rank);
    });
    this.unkId = spec.unk_token ? this.vocab.get(spec.unk_token) : undefined;
  }

  /** Token ids of one pre-tokenized piece. */
  encodeWord(word: string): number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const ids = this.encodeUncached(word);
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(word, ids);
    return ids;
  }

  private encodeUncached(word: string): number[] {
    if (this.spec.ignore_merges === true) {
      const whole = this.vocab.get(word);
      if (whole !== undefined) return [whole];
    }
    const syms = this.merge([...word]);
    const ids: number[] = [];
    let lastUnk = false;
    for (const s of syms) {
      const id = this.vocab.get(s);
      if (id !== undefined) {
        ids.push(id);
        lastUnk = false;
        continue;
      }
      if (this.spec.byte_fallback === true) {
        const bytes = [...new TextEncoder().encode(s)].map((b) => this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`));
        if (bytes.every((b) => b !== undefined)) {
          ids.push(...(bytes as number[]));
          lastUnk = false;
          continue;
        }
      }
      if (this.unkId === undefined)
        throw new Error(`token ${JSON.stringify(s)} is not in the vocabulary and the tokenizer has no unk token`);
      if (!(this.spec.fuse_unk === true && lastUnk)) ids.push(this.unkId);
      lastUnk = true;
    }
    return ids;
  }

  /** Applies merges, lowest rank first and leftmost on ties, over a linked list of symbols. */
  private merge(chars: string[]): string[] {
    const n = chars.length;
    if (n < 2) return chars;
    const sym = chars.slice();
    const next = Int32Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
    const prev = Int32Array.from({ length: n }, (_, i) => i - 1);
    const alive = new Uint8Array(n).fill(1);
    const heap: HeapItem[] = [];
    const consider = (left: number): void => {
      const right = next[left]!;
      if (right < 0) return;
      const rank = this.ranks.get(`${sym[left]}\u0000${sym[right]}`);
      if (rank !== undefined) heapPush(heap, { rank, pos: left, left });
    };
    for (let i = 0; i < n - 1; i++) consider(i);
    for (let item = heapPop(heap); item; item = heapPop(heap)) {
      const left = item.left;
      const right = next[left]!;
      if (!alive[left] || right < 0) continue;
      // Stale entry: the pair changed since it was pushed.
      if (this.ranks.get(`${sym[left]}\u0000${sym[right]}`) !== item.rank) continue;
      sym[left] = sym[left]! + sym[right]!;
      alive[right] = 0;
      next[left] = next[right]!;
      if (next[right]! >= 0) prev[next[right]!] = left;
      if (prev[left]! >= 0) consider(prev[left]!);
      consider(left);
    }
    const out: string[] = [];
    for (let i = 0; i >= 0; i = next[i]!) out.push(sym[i]!);
    return out;
  }
}

function splitMerge(m: string): [string, string] {
  const i = m.indexOf(' ', 1);
  return [m.slice(0, i), m.slice(i + 1)];
}
