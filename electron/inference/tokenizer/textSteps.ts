// Inference process: the text steps of a Hugging Face tokenizer.json before the model — normalizers,
// pre-tokenizers (Split with Oniguruma-compatible regexes, ByteLevel, Metaspace, Whitespace) and the byte map.

/** GPT-2's reversible byte → printable-character map used by ByteLevel. */
export const BYTE_TO_CHAR: string[] = (() => {
  const keep: number[] = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const map: string[] = new Array<string>(256);
  let n = 0;
  for (let b = 0; b < 256; b++) map[b] = String.fromCodePoint(keep.includes(b) ? b : 256 + n++);
  return map;
})();

/** The inverse of {@link BYTE_TO_CHAR}. */
export const CHAR_TO_BYTE: Map<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/** Translates an Oniguruma pattern from tokenizer.json to a JS unicode regex (\s means Unicode White_Space there). */
export function toJsRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) {
      const next = pattern[i + 1]!;
      out += next === 's' ? '\\p{White_Space}' : next === 'S' ? '\\P{White_Space}' : `\\${next}`;
      i++;
    } else out += ch;
  }
  return new RegExp(out, 'gu');
}

/** A JSON node of tokenizer.json (normalizer / pre_tokenizer / decoder). */
export type StepSpec = Record<string, unknown> & { type: string };

/** Builds a normalizer function from its JSON spec (null = identity). */
export function buildNormalizer(spec: StepSpec | null): (s: string) => string {
  if (!spec) return (s) => s;
  switch (spec.type) {
    case 'Sequence': {
      const parts = (spec.normalizers as StepSpec[]).map(buildNormalizer);
      return (s) => parts.reduce((acc, f) => f(acc), s);
    }
    case 'Prepend':
      return (s) => (s.length > 0 ? (spec.prepend as string) + s : s);
    case 'Replace': {
      const pat = spec.pattern as { String?: string; Regex?: string };
      const content = spec.content as string;
      if (pat.String !== undefined) return (s) => s.split(pat.String!).join(content);
      const re = toJsRegex(pat.Regex!);
      return (s) => s.replace(re, () => content);
    }
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return (s) => s.normalize(spec.type as 'NFC');
    case 'Lowercase':
      return (s) => s.toLowerCase();
    case 'Strip':
      return (s) => {
        let r = s;
        if (spec.strip_left !== false) r = r.replace(/^\s+/u, '');
        if (spec.strip_right !== false) r = r.replace(/\s+$/u, '');
        return r;
      };
    default:
      throw new Error(`unsupported normalizer ${spec.type}`);
  }
}

/** Splits `s` with a global regex; behaviour as in HF Split (Isolated, Removed, MergedWithPrevious/Next). */
function splitBy(s: string, re: RegExp, behavior: string, invert: boolean): string[] {
  const pieces: { text: string; match: boolean }[] = [];
  let last = 0;
  re.lastIndex = 0;
  for (const m of s.matchAll(re)) {
    if (m[0].length === 0) continue;
    if (m.index > last) pieces.push({ text: s.slice(last, m.index), match: false });
    pieces.push({ text: m[0], match: true });
    last = m.index + m[0].length;
  }
  if (last < s.length) pieces.push({ text: s.slice(last), match: false });
  const delim = (p: { match: boolean }): boolean => p.match !== invert;
  switch (behavior) {
    case 'Isolated':
      return pieces.map((p) => p.text);
    case 'Removed':
      return pieces.filter((p) => !delim(p)).map((p) => p.text);
    case 'MergedWithPrevious': {
      const out: string[] = [];
      for (const p of pieces) {
        if (delim(p) && out.length > 0) out[out.length - 1] += p.text;
        else out.push(p.text);
      }
      return out;
    }
    case 'MergedWithNext': {
      const out: string[] = [];
      let carry = '';
      for (const p of pieces) {
        if (delim(p)) carry += p.text;
        else {
          out.push(carry + p.text);
          carry = '';
        }
      }
      if (carry) out.push(carry);
      return out;
    }
    case 'Contiguous':
      return pieces.map((p) => p.text);
    default:
      throw new Error(`unsupported Split behavior ${behavior}`);
  }
}

/** Maps a string's UTF-8 bytes through {@link BYTE_TO_CHAR}. */
export function byteLevelEncode(s: string): string {
  let out = '';
  for (const b of new TextEncoder().encode(s)) out += BYTE_TO_CHAR[b]!;
  return out;
}

/** Builds a pre-tokenizer: string → pieces, each fed to the model separately. */
export function buildPreTokenizer(spec: StepSpec | null): (s: string) => string[] {
  if (!spec) return (s) => [s];
  switch (spec.type) {
    case 'Sequence': {
      const parts = (spec.pretokenizers as StepSpec[]).map(buildPreTokenizer);
      return (s) => parts.reduce<string[]>((pieces, f) => pieces.flatMap(f), [s]);
    }
    case 'Split': {
      const pat = spec.pattern as { String?: string; Regex?: string };
      const re = pat.Regex !== undefined ? toJsRegex(pat.Regex) : new RegExp(pat.String!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gu');
      return (s) => splitBy(s, re, spec.behavior as string, spec.invert === true);
    }
    case 'ByteLevel': {
      const re = spec.use_regex === false ? null : toJsRegex(GPT2_PATTERN);
      return (s) => {
        const t = spec.add_prefix_space === true && !s.startsWith(' ') ? ` ${s}` : s;
        return (re ? splitBy(t, re, 'Isolated', false) : [t]).map(byteLevelEncode);
      };
    }
    case 'Metaspace': {
      const rep = (spec.replacement as string | undefined) ?? '▁';
      const scheme = (spec.prepend_scheme as string | undefined) ?? (spec.add_prefix_space === false ? 'never' : 'always');
      return (s) => {
        let t = s.split(' ').join(rep);
        if (scheme !== 'never' && !t.startsWith(rep)) t = rep + t;
        if (spec.split === false) return [t];
        return t.split(new RegExp(`(?=${rep})`, 'u')).filter((p) => p.length > 0);
      };
    }
    case 'Whitespace':
      return (s) => s.match(/\w+|[^\w\s]+/gu) ?? [];
    case 'WhitespaceSplit':
      return (s) => s.split(/\s+/u).filter((p) => p.length > 0);
    case 'Digits':
      return (s) =>
        spec.individual_digits === true ? splitBy(s, /\p{N}/gu, 'Isolated', false) : splitBy(s, /\p{N}+/gu, 'Isolated', false);
    default:
      throw new Error(`unsupported pre_tokenizer ${spec.type}`);
  }
}
