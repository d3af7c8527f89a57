// Parses one LLaVA or ShareGPT record into turns, a system prompt and an image path, or says why it is rejected (database worker).
// An `<image>` inside the first question is moved to its start the way LLaVA's training code does it (its
// preprocess_multimodal removes the token, strips the text and puts `<image>` + newline in front); the record says so.
import type { Turn } from '../../electron/shared/ipc/dataset.ts';

/** A record that passed the structural checks. */
export interface ParsedRecord {
  id: string;
  format: 'llava' | 'sharegpt' | 'parquet';
  system: string | null;
  turns: Turn[];
  /** The image path as written in the file (relative to it), or null for text-only. */
  image: string | null;
  /** Where `<image>` stood in the first question: 'prefix' (`<image>\n…`), 'suffix' (`…\n<image>`) or 'bare'. */
  imagePlacement: 'prefix' | 'suffix' | 'bare';
  /** The first question as written when `<image>` was moved out of its middle (else null). */
  movedFrom: string | null;
  /** Image bytes carried in the record itself (Parquet), with the sha256 the row claims for them. */
  inline?: { bytes: Uint8Array; sha256: string | null };
  /** Who wrote the answers (default human). */
  answerSource?: 'model' | 'human';
  /** Extra provenance kept with the example (e.g. `mining` signals of a mining shard). */
  extra?: Record<string, unknown>;
}

/** What the import report says about a record whose `<image>` was moved. */
export const MOVED_NOTE = 'moved <image> from inside the first question to its start, as LLaVA training does';

const IMAGE_TOKEN = '<image>';

/** The id a record is reported under: its `id`, else its position. */
export function recordId(record: unknown, index: number): string {
  const id = typeof record === 'object' && record !== null ? (record as { id?: unknown }).id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : `#${index}`;
}

function detect(record: Record<string, unknown>, wanted: 'auto' | 'llava' | 'sharegpt'): 'llava' | 'sharegpt' {
  if (wanted !== 'auto') return wanted;
  return Array.isArray(record.images) || typeof record.system === 'string' ? 'sharegpt' : 'llava';
}

function imagesOf(record: Record<string, unknown>, format: 'llava' | 'sharegpt'): string[] | string {
  const raw = format === 'llava' ? record.image : record.images;
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  if (!list.every((p): p is string => typeof p === 'string' && p.length > 0)) return 'image paths must be non-empty strings';
  return list;
}

function stripPlaceholder(question: string): { text: string; placement: ParsedRecord['imagePlacement']; moved: boolean } {
  if (question.startsWith(`${IMAGE_TOKEN}\n`)) return { text: question.slice(IMAGE_TOKEN.length + 1), placement: 'prefix', moved: false };
  if (question.endsWith(`\n${IMAGE_TOKEN}`)) return { text: question.slice(0, -IMAGE_TOKEN.length - 1), placement: 'suffix', moved: false };
  if (question.startsWith(IMAGE_TOKEN)) return { text: question.slice(IMAGE_TOKEN.length), placement: 'bare', moved: false };
  // Anywhere else: LLaVA's normalisation (token removed, text stripped, `<image>\n` in front).
  return { text: question.replace(IMAGE_TOKEN, '').trim(), placement: 'prefix', moved: true };
}

/** Turns `{from, value}` messages into question/answer pairs; a string is the rejection reason. */
function toTurns(conversations: unknown): { turns: Turn[]; system: string | null } | string {
  if (!Array.isArray(conversations) || conversations.length === 0) return 'conversations must be a non-empty array';
  const messages = conversations.map((m) => (typeof m === 'object' && m !== null ? (m as { from?: unknown; value?: unknown }) : {}));
  if (messages.some((m) => typeof m.from !== 'string' || typeof m.value !== 'string')) return 'every turn needs string "from" and "value"';
  let system: string | null = null;
  let rest = messages as { from: string; value: string }[];
  if (rest[0]?.from === 'system') {
    system = rest[0].value;
    rest = rest.slice(1);
  }
  if (rest.length === 0 || rest.length % 2 !== 0) return 'roles must alternate human/gpt, starting with human and ending with gpt';
  const turns: Turn[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    const q = rest[i]!;
    const a = rest[i + 1]!;
    if (q.from !== 'human' || a.from !== 'gpt')
      return `roles must alternate human/gpt starting with human (turn ${i + 1} is "${q.from}", turn ${i + 2} is "${a.from}")`;
    turns.push({ question: q.value, answer: a.value });
  }
  return { turns, system };
}

/** Checks one record; returns the parsed record or a rejection reason. */
export function parseRecord(record: unknown, index: number, wanted: 'auto' | 'llava' | 'sharegpt'): ParsedRecord | { reason: string } {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return { reason: 'a record must be a JSON object' };
  const obj = record as Record<string, unknown>;
  const format = detect(obj, wanted);
  const parsed = toTurns(obj.conversations);
  if (typeof parsed === 'string') return { reason: parsed };
  const images = imagesOf(obj, format);
  if (typeof images === 'string') return { reason: images };
  if (images.length > 1) return { reason: `${images.length} images per record are not supported (one image per example)` };
  let system = parsed.system;
  if (typeof obj.system === 'string') system = obj.system;
  const humanTokens = parsed.turns.reduce((n, t) => n + t.question.split(IMAGE_TOKEN).length - 1, 0);
  const answerTokens = parsed.turns.reduce((n, t) => n + t.answer.split(IMAGE_TOKEN).length - 1, 0);
  if (answerTokens > 0) return { reason: `${IMAGE_TOKEN} appears in an answer` };
  if (humanTokens !== images.length) return { reason: `${humanTokens} ${IMAGE_TOKEN} placeholders for ${images.length} image(s)` };
  const first = parsed.turns[0]!;
  if (images.length === 1 && !first.question.includes(IMAGE_TOKEN))
    return { reason: `the ${IMAGE_TOKEN} placeholder must be in the first question` };
  const { text, placement, moved } =
    images.length === 1 ? stripPlaceholder(first.question) : { text: first.question, placement: 'prefix' as const, moved: false };
  const turns = [{ question: text, answer: first.answer }, ...parsed.turns.slice(1)];
  return {
    id: recordId(record, index),
    format,
    system,
    turns,
    image: images[0] ?? null,
    imagePlacement: placement,
    movedFrom: moved ? first.question : null,
  };
}
