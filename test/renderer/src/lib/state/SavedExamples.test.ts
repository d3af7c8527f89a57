// Unit: which chat answers are saved as examples, over the real database worker — none at first, the saved ones
// after a refresh (oldest first, deleted ones gone), and an immediate mark after a save.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installRealApi, type RealApi } from '../../../harness/realApi.ts';
import type { Api } from '../../../../../renderer/src/lib/api/client.ts';
import type { SavedExamples as SavedType } from '../../../../../renderer/src/lib/state/SavedExamples.svelte.ts';

let real: RealApi;
let api: Api;
let SavedExamples: typeof SavedType;
let answers: number[];

beforeAll(async () => {
  real = await installRealApi('saved');
  ({ api } = await import('../../../../../renderer/src/lib/api/client.ts'));
  ({ SavedExamples } = await import('../../../../../renderer/src/lib/state/SavedExamples.svelte.ts'));
  const chat = await api.dataset.createConversation({ title: 'saved marks' });
  answers = [];
  for (const q of ['one?', 'two?']) {
    await api.dataset.appendMessage(chat.id, { role: 'user', text: q });
    answers.push((await api.dataset.appendMessage(chat.id, { role: 'assistant', text: `answer to ${q}` })).id);
  }
});

afterAll(async () => {
  await real?.close();
});

describe('SavedExamples', () => {
  it('finds the examples saved from each answer, oldest first, and forgets deleted ones', async () => {
    const marks = new SavedExamples();
    await marks.refresh(answers);
    expect(marks.of(answers[0]!)).toEqual([]);
    const a = await api.dataset.saveExampleFromMessage({ messageId: answers[0]! });
    const b = await api.dataset.saveExampleFromMessage({ messageId: answers[0]! });
    await marks.refresh(answers);
    expect(marks.of(answers[0]!)).toEqual([a.id, b.id]);
    expect(marks.of(answers[1]!)).toEqual([]);
    await api.dataset.deleteExamples([a.id]);
    await marks.refresh(answers);
    expect(marks.of(answers[0]!)).toEqual([b.id]);
  });

  it('marks a save at once, without duplicates, and a later refresh wins over an earlier one', async () => {
    const marks = new SavedExamples();
    marks.mark(answers[1]!, 77);
    marks.mark(answers[1]!, 77);
    expect(marks.of(answers[1]!)).toEqual([77]);
    const c = await api.dataset.saveExampleFromMessage({ messageId: answers[1]! });
    // The earlier (slower) lookup finishes last but must not overwrite the later one.
    const earlier = marks.refresh(answers);
    const later = marks.refresh([]);
    await Promise.all([earlier, later]);
    expect(marks.of(answers[1]!)).toEqual([]);
    await marks.refresh(answers);
    expect(marks.of(answers[1]!)).toEqual([c.id]);
  });
});
