// Inference process: a Hugging Face tokenizer.json reader (BPE: ByteLevel/Llama-3 and Metaspace/byte-fallback/
// Llama-2 styles) giving ids identical to Python `tokenizers`, plus token → bytes for streaming decoding.
import { BpeModel, type BpeSpec } from './bpe.ts';
import { buildNormalizer, buildPreTokenizer, CHAR_TO_BYTE, type StepSpec } from './textSteps.ts';

interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  single_word?: boolean;
  normalized?: boolean;
}

interface TemplatePiece {
  SpecialToken?: { id: string };
  Sequence?: { id: string };
}

/** The parts of tokenizer.json this reader uses. */
export interface TokenizerJson {
  added_tokens?: AddedToken[];
  normalizer: StepSpec | null;
  pre_tokenizer: StepSpec | null;
  post_processor: StepSpec | null;
  decoder: StepSpec | null;
  model: BpeSpec;
}

/** A loaded tokenizer. */
export class Tokenizer {
  private readonly model: BpeModel;
  private readonly normalize: (s: string) => string;
  private readonly preTokenize: (s: string) => string[];
  private readonly added: AddedToken[];
  private readonly prefixIds: number[];
  private readonly suffixIds: number[];
  private readonly idToToken: string[] = [];
  private readonly specialIds = new Set<number>();
  private readonly byteLevelDecoder: boolean;

  constructor(json: TokenizerJson) {
    if (json.model.type !== 'BPE') throw new Error(`unsupported tokenizer model ${String(json.model.type)}`);
    this.model = new BpeModel(json.model);
    this.normalize = buildNormalizer(json.normalizer);
    this.preTokenize = buildPreTokenizer(json.pre_tokenizer);
    this.added = [...(json.added_tokens ?? [])].sort((a, b) => b.content.length - a.content.length);
    for (const [tok, id] of this.model.vocab) this.idToToken[id] = tok;
    for (const a of this.added) {
      this.idToToken[a.id] = a.content;
      if (a.special) this.specialIds.add(a.id);
    }
    [this.prefixIds, this.suffixIds] = this.templateIds(json.post_processor);
    this.byteLevelDecoder = JSON.stringify(json.decoder ?? {}).includes('"ByteLevel"');
  }

  /** Number of ids (vocabulary plus added tokens). */
  get size(): number {
    return this.idToToken.length;
  }

  /** Ids of `text`, with the post-processor's special tokens when `addSpecialTokens` (as `tokenizer(text)` in Python). */
  encode(text: string, addSpecialTokens = true): number[] {
    const ids: number[] = [];
    for (const seg of this.splitAdded(text)) {
      if (typeof seg === 'number') ids.push(seg);
      else for (const piece of this.preTokenize(this.normalize(seg))) if (piece.length > 0) ids.push(...this.model.encodeWord(piece));
    }
    return addSpecialTokens ? [...this.prefixIds, ...ids, ...this.suffixIds] : ids;
  }

  /** The id of a token string (vocabulary or added), or undefined. */
  tokenToId(token: string): number | undefined {
    return this.model.vocab.get(token) ?? this.added.find((a) => a.content === token)?.id;
  }

  /** Whether `id` is a special added token (skipped when decoding). */
  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /** The raw bytes `id` stands for (empty for special tokens). Byte-fallback `<0xNN>` gives that byte. */
  tokenBytes(id: number): Uint8Array {
    const tok = this.idToToken[id];
    if (tok === undefined || this.specialIds.has(id)) return new Uint8Array(0);
    if (this.byteLevelDecoder && !this.added.some((a) => a.id === id)) {
      const out = new Uint8Array(tok.length);
      let n = 0;
      for (const ch of tok) out[n++] = CHAR_TO_BYTE.get(ch) ?? 63;
      return out.subarray(0, n);
    }
    const fb = /^<0x([0-9A-Fa-f]{2})>$/.exec(tok);
    if (fb) return Uint8Array.of(parseInt(fb[1]!, 16));
    return new TextEncoder().encode(tok.replaceAll('▁', ' '));
  }

  /** Whether decoding strips one leading space (SentencePiece-style decoders). */
  get stripsLeadingSpace(): boolean {
    return !this.byteLevelDecoder;
  }

  /** Decodes ids to text, skipping special tokens (as `decode(ids, skip_special_tokens=True)`). */
  decode(ids: number[]): string {
    const parts = ids.map((id) => this.tokenBytes(id));
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    const text = new TextDecoder('utf-8').decode(all);
    return this.stripsLeadingSpace && text.startsWith(' ') ? text.slice(1) : text;
  }

  /** Splits `text` on added tokens (longest match first), honouring lstrip/rstrip/single_word. */
  private splitAdded(text: string): (string | number)[] {
    const out: (string | number)[] = [];
    let start = 0;
    let i = 0;
    while (i < text.length) {
      const hit = this.added.find(
        (a) => text.startsWith(a.content, i) && (!a.single_word || isWordBoundary(text, i, i + a.content.length)),
      );
      if (!hit) {
        i++;
        continue;
      }
      let segEnd = i;
      if (hit.lstrip) while (segEnd > start && /\s/u.test(text[segEnd - 1]!)) segEnd--;
      if (segEnd > start) out.push(text.slice(start, segEnd));
      out.push(hit.id);
      i += hit.content.length;
      if (hit.rstrip) while (i < text.length && /\s/u.test(text[i]!)) i++;
      start = i;
    }
    if (start < text.length) out.push(text.slice(start));
    return out;
  }

  private templateIds(spec: StepSpec | null): [number[], number[]] {
    if (!spec) return [[], []];
    if (spec.type === 'Sequence') {
      const parts = (spec.processors as StepSpec[]).map((p) => this.templateIds(p));
      return [parts.flatMap((p) => p[0]), parts.flatMap((p) => p[1])];
    }
    if (spec.type !== 'TemplateProcessing') return [[], []];
    const specials = spec.special_tokens as Record<string, { ids: number[] }>;
    const single = spec.single as TemplatePiece[];
    const seqAt = single.findIndex((p) => p.Sequence !== undefined);
    const idsOf = (pieces: TemplatePiece[]): number[] =>
      pieces.flatMap((p) => (p.SpecialToken ? (specials[p.SpecialToken.id]?.ids ?? []) : []));
    return [idsOf(single.slice(0, seqAt)), idsOf(single.slice(seqAt + 1))];
  }
}

function isWordBoundary(text: string, start: number, end: number): boolean {
  const w = /[\p{L}\p{N}_]/u;
  return (start === 0 || !w.test(text[start - 1]!)) && (end >= text.length || !w.test(text[end]!));
}
