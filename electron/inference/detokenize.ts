// Inference process: streaming detokenisation — token bytes are accumulated and only complete UTF-8 characters
// are released, so a character split across tokens (emoji, CJK, byte-fallback bytes) never comes out broken.
import type { Tokenizer } from './tokenizer/tokenizer.ts';

/** Non-streaming decoder: each call is independent (the pending bytes are kept here, not in the decoder). */
const UTF8 = new TextDecoder('utf-8');

/** Turns generated ids into text pieces as they arrive. */
export class StreamDecoder {
  private readonly tokenizer: Tokenizer;
  private pending: number[] = [];
  private text = '';
  private started = false;

  constructor(tokenizer: Tokenizer) {
    this.tokenizer = tokenizer;
  }

  /** Adds one id; returns the newly complete text (possibly empty). */
  push(id: number): string {
    for (const b of this.tokenizer.tokenBytes(id)) this.pending.push(b);
    const n = completePrefixLength(this.pending);
    if (n === 0) return '';
    let piece = UTF8.decode(Uint8Array.from(this.pending.slice(0, n)));
    this.pending = this.pending.slice(n);
    if (!this.started && piece.length > 0) {
      this.started = true;
      if (this.tokenizer.stripsLeadingSpace && piece.startsWith(' ')) piece = piece.slice(1);
    }
    this.text += piece;
    return piece;
  }

  /** Flushes what is left (an incomplete trailing sequence becomes U+FFFD, as a batch decode would). */
  finish(): string {
    if (this.pending.length === 0) return '';
    const piece = UTF8.decode(Uint8Array.from(this.pending));
    this.pending = [];
    this.text += piece;
    return piece;
  }

  /** Everything released so far. */
  get all(): string {
    return this.text;
  }
}

/** Length of the longest prefix of `bytes` that does not end inside a UTF-8 sequence. */
export function completePrefixLength(bytes: readonly number[]): number {
  const n = bytes.length;
  // Look back at most 3 bytes for the lead byte of the last sequence.
  for (let back = 1; back <= Math.min(4, n); back++) {
    const b = bytes[n - back]!;
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}
