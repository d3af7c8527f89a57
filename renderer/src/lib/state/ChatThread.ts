// Renderer: the chat thread as a pure model over append-only messages — edits and regenerations replace a message
// (and what followed it) in the visible path; the turns and image sent with a question; per-answer figures (saved by
// main's chat service).
// (Relative type imports, not $shared: unit tests type-check this file under the root tsconfig, which has no alias.)
import type { Message } from '../../../../electron/shared/ipc/dataset.ts';
import type { InspectionRecord, Turn } from '../../../../electron/shared/ipc/inference.ts';

/** Figures kept with every answer (the message's `perf`, written by main's chat service). */
export interface AnswerPerf {
  ttftMs: number | null;
  tokensPerSecond: number | null;
  totalMs: number | null;
  generated: number;
  stopped: boolean;
}

/** Why a question was refused before any image was attached (the text stays in the composer). */
export const NO_IMAGE = {
  message: 'Attach an image first: SliME answers questions about an image.',
  code: undefined,
  hint: 'Drop an image here, paste one, or use Attach image.',
  retry: false,
};

/** A question not yet saved (no ids), to build the history the request sends with it. */
export function draftQuestion(text: string, images: string[]): Message {
  return { id: -1, conversationId: -1, role: 'user', text, images, inspection: null, perf: null, provenance: null, createdAt: 0 };
}

/** The id of the message `m` replaces (edit or regenerate), or null. */
export function replacedId(m: Message): number | null {
  const r = m.provenance?.['replaces'];
  return typeof r === 'number' ? r : null;
}

/** The notice shown on an answer whose image the model's OOD guard flagged (main's chat service saves the verdict as
 * `provenance.ood`), or null: no verdict, or the image is like the training images. */
export function oodNotice(m: Message): string | null {
  const ood = m.provenance?.['ood'] as { inDist?: unknown } | null | undefined;
  if (m.role !== 'assistant' || !ood || ood.inDist !== false) return null;
  const model = m.provenance?.['model'];
  return `This image is unlike what ${typeof model === 'string' && model ? model : 'this model'} was trained on: the answer is likely a guess.`;
}

/** Whether main saved `m` as a failed answer (kept in the store, left out of the thread; the error says why). */
export function isFailed(m: Message): boolean {
  return m.role === 'assistant' && m.provenance?.['outcome'] === 'failed';
}

/** Whether main saved `m` as an answer it has not finished (a request id, no outcome): running, or cut off. */
export function isUnfinished(m: Message): boolean {
  return m.role === 'assistant' && typeof m.provenance?.['requestId'] === 'string' && m.provenance['outcome'] === undefined;
}

/**
 * The last answer main saved as not finished: running now, or cut off when main closed mid-answer. Null when the
 * last answer has ended (answers saved before they had request ids count as ended).
 */
export function unfinishedAnswer(messages: readonly Message[]): { message: Message; requestId: string } | null {
  const message = messages.findLast((m) => m.role === 'assistant' && m.provenance?.['outcome'] === undefined);
  return message && isUnfinished(message) ? { message, requestId: message.provenance!['requestId'] as string } : null;
}

/** The messages the user sees: each replacement cuts the path at the message it replaces. */
export function visiblePath(messages: Message[]): Message[] {
  const out: Message[] = [];
  for (const m of messages) {
    if (m.role === 'system' || isFailed(m)) continue;
    const replaces = replacedId(m);
    if (replaces !== null) {
      const at = out.findIndex((x) => x.id === replaces);
      if (at >= 0) out.length = at;
    }
    out.push(m);
  }
  return out;
}

/** The image of the conversation at position `end` (exclusive): the last image attached before it. */
export function imageBefore(path: Message[], end: number): { sha256: string; index: number } | null {
  for (let i = Math.min(end, path.length) - 1; i >= 0; i--) {
    const m = path[i]!;
    if (m.role === 'user' && m.images.length > 0) return { sha256: m.images[0]!, index: i };
  }
  return null;
}

/** What to send for the user message at `userIndex`: the image and the finished turns since it was attached. */
export function requestFor(path: Message[], userIndex: number): { image: string | null; history: Turn[]; question: string } {
  const user = path[userIndex]!;
  const found = imageBefore(path, userIndex + 1);
  const history: Turn[] = [];
  for (let i = found?.index ?? 0; i < userIndex; i++) {
    const m = path[i]!;
    if (m.role === 'user' || m.role === 'assistant') history.push({ role: m.role, content: m.text });
  }
  return { image: found?.sha256 ?? null, history, question: user.text };
}

/** `value` as an InspectionRecord when it looks like one (messages keep it as JSON). */
export function asInspection(value: unknown): InspectionRecord | null {
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Partial<InspectionRecord>;
  return r.selector && r.grid && r.canvas && Array.isArray(r.tiles) ? (value as InspectionRecord) : null;
}

/** `value` as AnswerPerf, or null. */
export function asPerf(value: unknown): AnswerPerf | null {
  return typeof value === 'object' && value !== null && 'generated' in value ? (value as AnswerPerf) : null;
}

/** Distinct execution providers of a record ("cpu", "webgpu + cpu"). */
export function providerLabel(record: InspectionRecord): string {
  const names = [...new Set(record.providers.map((p) => p.provider))];
  return names.length ? names.join(' + ') : '–';
}
