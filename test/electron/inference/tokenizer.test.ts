// Unit: the tokenizer.json reader against ids written by Python `tokenizers` on the real Llama-3 and Llama-2
// tokenizer files (multi-turn chats, emoji, CJK, whitespace runs, special tokens, BOS / no-BOS post-processors).
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '../../../electron/inference/tokenizer/tokenizer.ts';
import { BOS_TEMPLATE, goldens, llama2Json, llama3Json } from './tokenizerGoldens.ts';

const variants: [string, () => Tokenizer][] = [
  ['llama3', () => new Tokenizer(llama3Json)],
  ['llama3_bos', () => new Tokenizer({ ...llama3Json, post_processor: BOS_TEMPLATE })],
  ['llama2', () => new Tokenizer(llama2Json)],
];

describe.each(variants)('%s tokenizer', (name, make) => {
  const tok = make();
  const cases = goldens[name]!;
  it.each(cases.map((c, i) => [i, JSON.stringify(c.text).slice(0, 40), c] as const))(
    '#%i %s: ids and decode identical to Python',
    (_i, _label, c) => {
      expect(tok.encode(c.text)).toEqual(c.ids);
      expect(tok.decode(c.ids)).toBe(c.decoded);
    },
  );
});
