// Unit: the visible path over append-only messages (edits and regenerations replace), what each question sends, and
// the out-of-distribution notice of an answer.
import { describe, expect, it } from 'vitest';
import type { Message } from '../../../../../electron/shared/ipc/dataset.ts';
import { isUnfinished, oodNotice, requestFor, unfinishedAnswer, visiblePath } from '../../../../../renderer/src/lib/state/ChatThread.ts';

let next = 1;
function msg(role: Message['role'], text: string, extra: Partial<Message> = {}): Message {
  return { id: next++, conversationId: 1, role, text, images: [], inspection: null, perf: null, provenance: null, createdAt: 0, ...extra };
}

describe('chat thread', () => {
  const img = 'a'.repeat(64);
  const q1 = msg('user', 'q1', { images: [img] });
  const a1 = msg('assistant', 'a1');
  const q2 = msg('user', 'q2');
  const a2 = msg('assistant', 'a2');
  const a2b = msg('assistant', 'a2 again', { provenance: { replaces: a2.id } });
  const q1e = msg('user', 'q1 edited', { images: [img], provenance: { replaces: q1.id } });
  const a1e = msg('assistant', 'a1 for edit');

  it('replaces a regenerated answer and cuts the path at an edited question', () => {
    expect(visiblePath([q1, a1, q2, a2, a2b]).map((m) => m.text)).toEqual(['q1', 'a1', 'q2', 'a2 again']);
    expect(visiblePath([q1, a1, q2, a2, a2b, q1e, a1e]).map((m) => m.text)).toEqual(['q1 edited', 'a1 for edit']);
  });

  it('sends the image with the finished turns since it was attached', () => {
    const path = visiblePath([q1, a1, q2, a2b]);
    expect(requestFor(path, 2)).toEqual({
      image: img,
      question: 'q2',
      history: [
        { role: 'user', content: 'q1' },
        { role: 'assistant', content: 'a1' },
      ],
    });
    expect(requestFor(path, 0)).toEqual({ image: img, question: 'q1', history: [] });
  });

  it('starts the history again when a new image is attached', () => {
    const other = 'b'.repeat(64);
    const q3 = msg('user', 'q3', { images: [other] });
    const path = visiblePath([q1, a1, q3]);
    expect(requestFor(path, 2)).toEqual({ image: other, question: 'q3', history: [] });
  });

  it('finds the answer main has not finished (a request id and no outcome), if any', () => {
    const done = msg('assistant', 'done', { provenance: { requestId: 'chat-1', outcome: 'done' } });
    const live = msg('assistant', 'grow', { provenance: { requestId: 'chat-2' } });
    const old = msg('assistant', 'saved before answers had request ids');
    expect(unfinishedAnswer([q1, done])).toBeNull();
    expect(unfinishedAnswer([q1, old])).toBeNull();
    expect(unfinishedAnswer([q1, live, q2])).toEqual({ message: live, requestId: 'chat-2' });
    expect(unfinishedAnswer([q1, live, q2, done])).toEqual({ message: live, requestId: 'chat-2' });
    expect(unfinishedAnswer([msg('user', 'q', { provenance: { requestId: 'x' } })])).toBeNull();
    expect([live, done, old].map(isUnfinished)).toEqual([true, false, false]);
  });
});

describe('out-of-distribution notice', () => {
  const flagged = { ood: { score: 900, inDist: false, method: 'mahalanobis', threshold: 570 } };
  it('names the model on an answer whose image the guard flagged, and nowhere else', () => {
    expect(oodNotice(msg('assistant', 'red', { provenance: { ...flagged, model: 'SliME-Nano' } }))).toBe(
      'This image is unlike what SliME-Nano was trained on: the answer is likely a guess.',
    );
    expect(oodNotice(msg('assistant', 'red', { provenance: flagged }))).toBe(
      'This image is unlike what this model was trained on: the answer is likely a guess.',
    );
    expect(oodNotice(msg('assistant', 'red', { provenance: { model: 'SliME-Nano', ood: { ...flagged.ood, inDist: true } } }))).toBeNull();
    expect(oodNotice(msg('assistant', 'red', { provenance: { model: 'SliME-Nano', ood: null } }))).toBeNull();
    expect(oodNotice(msg('assistant', 'red'))).toBeNull();
    expect(oodNotice(msg('user', 'q', { provenance: flagged }))).toBeNull();
  });
});
