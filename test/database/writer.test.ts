// Unit: the reader and writer over a real SQLite file — save from a chat message, edit, regions, tags, soft delete and undo, bulk, stats.
import { describe, expect, it } from 'vitest';
import { makePng, openTestDataset } from './fixtures.ts';

async function chat(t: ReturnType<typeof openTestDataset>): Promise<{ sha: string; answerId: number; conversationId: number }> {
  const image = await t.call('addImage', new Uint8Array(await makePng(5, 200, 100)), 'dial.png');
  const c = await t.call('createConversation', { title: 'Dial' });
  await t.call('appendMessage', c.id, { role: 'user', text: 'What does the dial read?', images: [image.sha256] });
  const answer = await t.call('appendMessage', c.id, {
    role: 'assistant',
    text: 'It reads 42.',
    inspection: {
      grid: { cols: 2, rows: 1, tiles: 2 },
      tokens: { global: 576, localBefore: 288, localAfter: 3, separator: 1, prompt: 20, prefill: 600, generated: 5, kvReused: 0 },
      selector: { mode: 'single', topP: 0.6, temperature: 1, kept: [1, 0, 1, 0, 1], scores: [0.1], probs: [0.2] },
      tileSize: 336,
    },
    perf: { ttftMs: 120, decodeTokensPerS: 31.5 },
    provenance: {
      model: 'slime-nano',
      manifestHash: 'abc',
      executionProvider: 'cpu',
      selector: { topP: 0.6 },
      generation: { temperature: 0 },
    },
  });
  return { sha: image.sha256, answerId: answer.id, conversationId: c.id };
}

describe('curation handlers', () => {
  it('saves an example from an assistant message in one call with image, question, answer and provenance', async () => {
    const t = openTestDataset();
    const { sha, answerId, conversationId } = await chat(t);
    const e = await t.call('saveExampleFromMessage', { messageId: answerId, tags: ['dials'] });
    expect(e.image?.sha256).toBe(sha);
    expect(e.turns).toEqual([{ question: 'What does the dial read?', answer: 'It reads 42.' }]);
    expect(e).toMatchObject({ answerSource: 'model', status: 'draft', tags: ['dials'], sourceMessageId: answerId });
    expect(e.provenance.inspection).toMatchObject({
      grid: { tiles: 2 },
      tileSize: 336,
      tokens: { localAfter: 3 },
      selector: { topP: 0.6, kept: 3, of: 5 },
    });
    expect(e.provenance).toMatchObject({
      model: 'slime-nano',
      manifestHash: 'abc',
      executionProvider: 'cpu',
      conversationId,
      perf: { ttftMs: 120 },
    });
    const edited = await t.call('saveExampleFromMessage', { messageId: answerId, answer: 'It reads 42 km/h.' });
    expect(edited.answerSource).toBe('human-edited');
    await expect(t.call('saveExampleFromMessage', { messageId: answerId - 1 })).rejects.toMatchObject({ code: 'dataset/invalid' });
    const conv = await t.call('getConversation', conversationId);
    expect(conv.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(conv.messages[1]!.inspection).toMatchObject({ grid: { tiles: 2 }, selector: { kept: [1, 0, 1, 0, 1] } });
    t.close();
  });

  it('edits turns (model → human-edited), review status and notes; FTS follows the edit', async () => {
    const t = openTestDataset();
    const { answerId } = await chat(t);
    const e = await t.call('saveExampleFromMessage', { messageId: answerId });
    const u = await t.call('updateExample', e.id, {
      turns: [{ question: 'Read the dial', answer: 'The needle points at 42 knots.' }],
      status: 'accepted',
      notes: 'checked',
    });
    expect(u).toMatchObject({ answerSource: 'human-edited', status: 'accepted', notes: 'checked' });
    expect((await t.call('listExamples', { search: 'knots' })).items.map((i) => i.id)).toEqual([e.id]);
    expect((await t.call('listExamples', { search: 'reads' })).total).toBe(0);
    t.close();
  });

  it('adds, edits and deletes regions, rejecting boxes outside the image', async () => {
    const t = openTestDataset();
    const { answerId } = await chat(t);
    const e = await t.call('saveExampleFromMessage', { messageId: answerId });
    const r = await t.call('addRegion', e.id, { x1: 10, y1: 10, x2: 60, y2: 40, note: 'needle', tokens: [3, 4] });
    expect(r).toMatchObject({ exampleId: e.id, note: 'needle', tokens: [3, 4] });
    await expect(t.call('addRegion', e.id, { x1: 150, y1: 10, x2: 201, y2: 40 })).rejects.toMatchObject({ code: 'dataset/invalid' });
    await expect(t.call('addRegion', e.id, { x1: 50, y1: 10, x2: 40, y2: 40 })).rejects.toMatchObject({ code: 'dataset/invalid' });
    await expect(t.call('updateRegion', r.id, { y2: 101 })).rejects.toMatchObject({ code: 'dataset/invalid' });
    expect(await t.call('updateRegion', r.id, { note: 'the needle' })).toMatchObject({ note: 'the needle', x2: 60 });
    expect((await t.call('getExample', e.id)).regions).toHaveLength(1);
    expect(await t.call('deleteRegion', r.id)).toEqual({ deleted: true });
    t.close();
  });

  it('soft-deletes with undo, bulk-updates status and tags, and counts stats', async () => {
    const t = openTestDataset();
    const ids = await t.call(
      'createExamples',
      Array.from({ length: 6 }, (_, i) => ({
        imageSha256: null,
        turns: [{ question: `q${i}`, answer: `a${i}` }],
        tags: i < 3 ? ['a'] : [],
      })),
    );
    expect(await t.call('deleteExamples', ids.slice(0, 2))).toEqual({ changed: 2 });
    expect((await t.call('listExamples', {})).total).toBe(4);
    expect((await t.call('listExamples', { deleted: 'deleted' })).items.map((i) => i.id).sort()).toEqual(ids.slice(0, 2));
    expect(await t.call('restoreExamples', ids.slice(0, 1))).toEqual({ changed: 1 });
    await t.call('bulkUpdate', ids, { status: 'needs-review', addTags: ['batch'], removeTags: ['a'] });
    const stats = await t.call('stats');
    expect(stats).toMatchObject({ examples: 5, deleted: 1, byStatus: { 'needs-review': 5, draft: 0 }, byAnswerSource: { human: 5 } });
    expect(stats.tags).toEqual([
      { name: 'batch', count: 5 },
      { name: 'a', count: 0 },
    ]);
    expect(await t.call('setExampleTags', ids[3]!, ['x', 'y', 'x'])).toEqual(['x', 'y']);
    t.close();
  });
});
