// Inference process: chat templates of spec §5 (llama3, vicuna_v1) and LLaVA's `<image>` chunk tokenization
// with first-chunk-only BOS (the −200 placeholder marks where the visual block goes).
import type { Tokenizer } from './tokenizer/tokenizer.ts';

/** The literal placeholder in prompt text. */
export const IMAGE_TOKEN = '<image>';
/** The sentinel id standing for the image in token-id sequences. */
export const IMAGE_TOKEN_INDEX = -200;
/** Vicuna v1's default system prompt. */
export const VICUNA_SYSTEM =
  "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.";

/** One turn of a conversation. */
export interface ChatTurn {
  role: 'user' | 'assistant';
  content: string;
}

/** The first user message as the eval scripts build it: "<image>\n" + question. */
export function userMessageWithImage(question: string): string {
  return `${IMAGE_TOKEN}\n${question}`;
}

/**
 * Renders turns with `template` and, when the last turn is the user's, the assistant generation header.
 * llama3 has no system block unless `systemPrompt` is given; vicuna_v1's system prompt defaults to Vicuna's own.
 */
export function buildPrompt(template: 'llama3' | 'vicuna_v1', turns: ChatTurn[], systemPrompt?: string): string {
  const open = turns.length === 0 || turns[turns.length - 1]!.role === 'user';
  if (template === 'llama3') {
    const block = (role: string, text: string): string => `<|start_header_id|>${role}<|end_header_id|>\n\n${text}<|eot_id|>`;
    let s = systemPrompt ? block('system', systemPrompt) : '';
    for (const t of turns) s += block(t.role, t.content);
    return open ? `${s}<|start_header_id|>assistant<|end_header_id|>\n\n` : s;
  }
  let s = `${systemPrompt ?? VICUNA_SYSTEM} `;
  for (const t of turns) s += t.role === 'user' ? `USER: ${t.content} ` : `ASSISTANT: ${t.content}</s>`;
  return open ? `${s}ASSISTANT:` : s;
}

/**
 * LLaVA's tokenizer_image_token: every `<image>`-separated chunk is tokenized with the tokenizer's own
 * post-processor; if the first chunk starts with BOS, that BOS is kept once and the first token of every chunk
 * is dropped; chunks are joined with {@link IMAGE_TOKEN_INDEX}.
 */
export function tokenizeWithImage(prompt: string, tokenizer: Tokenizer, bosId: number | null): number[] {
  const chunks = prompt.split(IMAGE_TOKEN).map((c) => tokenizer.encode(c, true));
  const ids: number[] = [];
  let offset = 0;
  if (chunks[0] && chunks[0].length > 0 && bosId !== null && chunks[0][0] === bosId) {
    offset = 1;
    ids.push(bosId);
  }
  chunks.forEach((chunk, i) => {
    if (i > 0) ids.push(IMAGE_TOKEN_INDEX);
    ids.push(...chunk.slice(offset));
  });
  return ids;
}

/** The BOS id of a tokenizer: `<|begin_of_text|>` or `<s>`, when present. */
export function defaultBosId(tokenizer: Tokenizer): number | null {
  return tokenizer.tokenToId('<|begin_of_text|>') ?? tokenizer.tokenToId('<s>') ?? null;
}
