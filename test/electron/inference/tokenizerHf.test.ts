// Unit: the evaluation of @huggingface/tokenizers (0.2.0) against every tokenizer golden (Python `tokenizers` ids and
// decodes on the real Llama-3 and Llama-2/Vicuna files, 52 cases) and the engine's streaming decode. It documents why
// electron/inference keeps its own tokenizer (see the "Tokenizer" paragraph of electron/inference/README.md).
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { Tokenizer } from '../../../electron/inference/tokenizer/tokenizer.ts';
import { StreamDecoder } from '../../../electron/inference/detokenize.ts';
import { BOS_TEMPLATE, LLAMA2_DIR, LLAMA3_DIR, goldens, llama2Json, llama3Json, readRepoJson } from './tokenizerGoldens.ts';

interface HfTokenizer {
  encode(text: string): { ids: number[] };
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
  id_to_token(id: number): string | undefined;
}
type HfClass = new (json: unknown, config: unknown) => HfTokenizer;
const { Tokenizer: Hf } = createRequire(import.meta.url)('@huggingface/tokenizers') as { Tokenizer: HfClass };
const hf: Record<string, HfTokenizer> = {
  llama3: new Hf(llama3Json, readRepoJson(`${LLAMA3_DIR}tokenizer_config.json`)),
  llama3_bos: new Hf({ ...llama3Json, post_processor: BOS_TEMPLATE }, readRepoJson(`${LLAMA3_DIR}tokenizer_config.json`)),
  llama2: new Hf(llama2Json, readRepoJson(`${LLAMA2_DIR}tokenizer_config.json`)),
};

/** HF's decode as the engine would call it; a throw is recorded as its message. */
function hfDecode(tok: HfTokenizer, ids: number[]): string {
  try {
    return tok.decode(ids, { skip_special_tokens: true });
  } catch (thrown) {
    return `throws: ${(thrown as Error).message}`;
  }
}

describe('@huggingface/tokenizers against the Python goldens', () => {
  const all = Object.entries(hf).flatMap(([name, tok]) => goldens[name]!.map((c) => ({ name, tok, c })));

  it('covers all 52 goldens', () => {
    expect(all).toHaveLength(52);
  });

  it('encodes every golden to the Python ids', () => {
    const wrong = all.filter(({ tok, c }) => JSON.stringify(tok.encode(c.text).ids) !== JSON.stringify(c.ids));
    expect(wrong.map(({ name, c }) => `${name} ${JSON.stringify(c.text)}`)).toEqual([]);
  });

  it('decodes 51 of 52 like Python; the divergence: decoding no ids throws instead of returning ""', () => {
    const wrong = all.filter(({ tok, c }) => hfDecode(tok, c.ids) !== c.decoded);
    expect(wrong.map(({ name, c, tok }) => [name, c.text, c.ids, hfDecode(tok, c.ids)])).toEqual([
      ['llama3', '', [], 'throws: token_ids must be a non-empty array of integers.'],
    ]);
  });
});

describe('streaming decode (the engine releases complete UTF-8 characters token by token)', () => {
  const ours = new Tokenizer(llama3Json);
  const tok = hf.llama3!;
  const text = 'Stars ✨ and 星星 😀';
  const ids = ours.encode(text, false);

  it('our StreamDecoder rebuilds the text from token bytes, never releasing half a character', () => {
    const stream = new StreamDecoder(ours);
    const pieces = ids.map((id) => stream.push(id));
    stream.finish();
    expect(stream.all).toBe(text);
    expect(pieces.join('')).toBe(text);
    expect(pieces.some((p) => p.includes('\uFFFD'))).toBe(false);
  });

  it('HF has no token → bytes: decoding id by id breaks characters split across tokens into U+FFFD', () => {
    const split = ids.filter((id) => tok.decode([id]).includes('\uFFFD'));
    expect(split.length).toBeGreaterThan(0);
    expect(ids.map((id) => tok.decode([id])).join('')).not.toBe(text);
    // Correct streaming with HF means decoding the whole growing list each step (quadratic; see bench/tokenizer.ts).
    expect(tok.decode(ids)).toBe(text);
  });
});
