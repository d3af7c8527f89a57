// Unit: what inspecting a dataset example asks — its image by hash, its first question, the model folder, selector
// setting and answer length its provenance records, greedy — and its regions as evidence regions.
import { describe, expect, it } from 'vitest';
import type { Example } from '../../../../../electron/shared/ipc/dataset.ts';
import { exampleRegions, exampleRequest } from '../../../../../renderer/src/lib/state/exampleInspection.ts';

const sha = 'ab'.repeat(32);
const example = (provenance: Example['provenance'], image = true): Example =>
  ({
    id: 7,
    image: image ? { sha256: sha, width: 224, height: 112 } : null,
    turns: [
      { question: 'What colour is the star?', answer: 'green' },
      { question: 'And the circle?', answer: 'red' },
    ],
    provenance,
    regions: [{ id: 3, exampleId: 7, x1: 1, y1: 2, x2: 30, y2: 40, note: 'star', tokens: null, createdAt: 0 }],
  }) as unknown as Example;

describe('exampleRequest', () => {
  it('asks the first question at the recorded model, selector setting and length, greedy', () => {
    const r = exampleRequest(
      example({ modelDir: '/models/nano', selector: { topP: 0.95, mode: 'legacy', temperature: 1 }, generation: { maxNewTokens: 16 } }),
    )!;
    expect(r.context).toEqual({
      image: { hash: sha },
      question: 'What colour is the star?',
      modelDir: '/models/nano',
      sampling: { temperature: 0, maxNewTokens: 16 },
    });
    expect(r.selector).toEqual({ topP: 0.95, mode: 'legacy' });
    expect(r.url).toContain(sha);
  });

  it('falls back to the model’s defaults for missing or bad settings, and refuses an example without an image', () => {
    const r = exampleRequest(example({ selector: { topP: 7, mode: 'other' }, generation: { maxNewTokens: 'x' } }))!;
    expect(r.selector).toEqual({});
    expect(r.context).toEqual({ image: { hash: sha }, question: 'What colour is the star?', sampling: { temperature: 0 } });
    expect(exampleRequest(example({}, false))).toBeNull();
  });

  it('keeps region ids, boxes and notes', () => {
    expect(exampleRegions(example({}))).toEqual([{ id: 3, x1: 1, y1: 2, x2: 30, y2: 40, note: 'star' }]);
  });
});
