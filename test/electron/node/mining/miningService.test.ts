// Unit: a questions file given to the app's ask-a-folder merges into the typed settings — shared questions appended
// once each, per-image lists merged — and the result is validated like typed settings (bad-args, not a crash later).
import { describe, expect, it } from 'vitest';
import { withQuestionFile } from '../../../../electron/node/mining/miningService.ts';
import { miningSettingsSchema } from '../../../../electron/shared/ipc/mining.ts';

const typed = miningSettingsSchema.parse({ questions: ['What colour?'], perImage: { 'a.png': ['Where?'] }, tags: ['t'] });

describe('withQuestionFile', () => {
  it('appends shared questions once and merges per-image lists', () => {
    const merged = withQuestionFile(typed, {
      questions: ['What colour?', 'How many?'],
      perImage: { 'a.png': ['Where?', 'Why?'], 'sub/b.png': ['Which?'] },
    });
    expect(merged.questions).toEqual(['What colour?', 'How many?']);
    expect(merged.perImage).toEqual({ 'a.png': ['Where?', 'Why?'], 'sub/b.png': ['Which?'] });
    expect(merged.tags).toEqual(['t']);
  });

  it('refuses a file whose questions break the limits, naming where', () => {
    expect(() => withQuestionFile(typed, { questions: ['x'.repeat(2001)], perImage: {} })).toThrow(/Questions file: questions\.1/);
  });
});
