// Inference process: next-token choice from last-position logits — greedy, or temperature / top-k / top-p
// sampling with a repetition penalty and a seeded RNG (same seed, same answer).

/** Resolved sampling settings (temperature 0 = greedy). */
export interface SamplerSettings {
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
  seed: number;
}

/** mulberry32: a small, fast, seedable PRNG returning [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks tokens one at a time; `banned` ids (e.g. the pad row) are never chosen. */
export class Sampler {
  private readonly settings: SamplerSettings;
  private readonly random: () => number;
  private readonly banned: Set<number>;

  constructor(settings: SamplerSettings, banned: Iterable<number> = []) {
    this.settings = settings;
    this.random = seededRandom(settings.seed);
    this.banned = new Set(banned);
  }

  /** The next token given `logits` [V] and the ids generated so far (for the repetition penalty). */
  next(logits: Float32Array, previous: readonly number[]): number {
    const rp = this.settings.repetitionPenalty;
    // Copy the vocabulary-sized logits only when they are about to be changed (greedy decoding usually is not).
    const l = this.banned.size > 0 || rp !== 1 ? Float32Array.from(logits) : logits;
    for (const b of this.banned) if (b < l.length) l[b] = -Infinity;
    if (rp !== 1) {
      // CTRL-style penalty as in HF: positive logits divided, negative multiplied.
      for (const id of new Set(previous)) if (id >= 0 && id < l.length) l[id] = l[id]! > 0 ? l[id]! / rp : l[id]! * rp;
    }
    if (this.settings.temperature <= 0) return argmax(l);
    return this.sample(l);
  }

  private sample(l: Float32Array): number {
    const { temperature, topK, topP } = this.settings;
    let order = Array.from({ length: l.length }, (_, i) => i).filter((i) => l[i] !== -Infinity);
    order.sort((a, b) => l[b]! - l[a]! || a - b);
    if (topK > 0 && topK < order.length) order = order.slice(0, topK);
    const max = l[order[0]!]!;
    let probs = order.map((i) => Math.exp((l[i]! - max) / temperature));
    let sum = probs.reduce((a, b) => a + b, 0);
    probs = probs.map((p) => p / sum);
    if (topP < 1) {
      let c = 0;
      let keep = 0;
      while (keep < probs.length && c < topP) c += probs[keep++]!;
      order = order.slice(0, Math.max(1, keep));
      probs = probs.slice(0, order.length);
      sum = probs.reduce((a, b) => a + b, 0);
      probs = probs.map((p) => p / sum);
    }
    let r = this.random();
    for (let k = 0; k < order.length; k++) {
      r -= probs[k]!;
      if (r < 0) return order[k]!;
    }
    return order[order.length - 1]!;
  }
}

/** Index of the largest value (first on ties, like torch.argmax). */
export function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}
