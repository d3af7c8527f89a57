// Integration: the `modelCard` service reads card.json beside a model folder's manifest — checked against the
// manifest's sha256 entry, parsed (sample paths must stay inside the folder), sample images registered so the page
// can show them; a missing, mismatching or malformed card gives no card and says why.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../electron/node/services/createServices.ts';
import type { Router } from '../../electron/shared/ipc/router.ts';
import type { ModelCardView } from '../../electron/shared/ipc/modelCard.ts';
import { resolveImagePath } from '../../electron/node/imageRoutes.ts';
import { DEFAULT_MODEL_DIR } from '../../electron/node/paths.ts';
import { makePng, tempDir } from '../database/fixtures.ts';
import { startServices } from './fixtures/services.ts';

let services: Services | undefined;
let router: Router;
afterAll(async () => services?.dispose());
beforeAll(async () => {
  ({ services, router } = await startServices(tempDir('slime-card-data-')));
});

const CARD = {
  version: 1,
  name: 'Test-Model',
  summary: 'A model made for this test.',
  trained_on: 'Nothing at all.',
  families: [{ id: 'colour', title: 'Colour', accuracy: 91.5, examples: [{ question: 'What colour?', answer: 'red' }] }],
  accuracy: [{ id: 'heldout', label: 'Held-out', value: 80.5, unit: '%', questions: 100 }],
  samples: [
    { image: 'samples/a.png', question: 'What colour is the square?', answer: 'red', family: 'colour' },
    { image: 'samples/missing.png', question: 'Where is it?' },
  ],
  extra_key: 'ignored',
};

async function folder(card: unknown, entry: 'match' | 'mismatch' | 'none'): Promise<string> {
  const dir = tempDir('slime-card-model-');
  fs.mkdirSync(path.join(dir, 'samples'));
  fs.writeFileSync(path.join(dir, 'samples', 'a.png'), await makePng(8));
  const bytes = Buffer.from(typeof card === 'string' ? card : JSON.stringify(card));
  fs.writeFileSync(path.join(dir, 'card.json'), bytes);
  const sha256 = entry === 'match' ? createHash('sha256').update(bytes).digest('hex') : '0'.repeat(64);
  const manifest = entry === 'none' ? { name: 'x' } : { name: 'x', card: { file: 'card.json', sha256, bytes: bytes.length } };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

async function get(modelDir?: string): Promise<ModelCardView> {
  const r = await router.dispatch('modelCard:get', [modelDir ? { modelDir } : {}]);
  if (!r.ok) throw new Error(r.error.message);
  return r.value as ModelCardView;
}

describe('model card', () => {
  it('reads a card that matches its manifest entry and registers the samples that exist', async () => {
    const dir = await folder(CARD, 'match');
    const view = await get(dir);
    expect(view.problem).toBeNull();
    expect(view.card).toMatchObject({ name: 'Test-Model', families: [{ id: 'colour', accuracy: 91.5 }], accuracy: [{ value: 80.5 }] });
    expect(view.card).not.toHaveProperty('extra_key');
    expect(view.missingSamples).toBe(1);
    expect(view.samples).toEqual([
      {
        path: path.join(dir, 'samples', 'a.png'),
        url: expect.stringMatching(/^\/image\//),
        question: 'What colour is the square?',
        answer: 'red',
        family: 'colour',
      },
    ]);
    const served = await resolveImagePath(view.samples[0]!.url, services!.images, services!.storedImage);
    expect(served?.path).toBe(path.join(dir, 'samples', 'a.png'));
  });

  it('reads a card without a manifest entry, and refuses one that does not match it', async () => {
    expect((await get(await folder(CARD, 'none'))).card?.name).toBe('Test-Model');
    const mismatch = await get(await folder(CARD, 'mismatch'));
    expect(mismatch.card).toBeNull();
    expect(mismatch.problem).toMatch(/does not match its manifest entry/);
  });

  it('says why there is no card: none, bad JSON, a malformed field, a sample outside the folder', async () => {
    const none = tempDir('slime-card-none-');
    expect(await get(none)).toMatchObject({ card: null, problem: expect.stringMatching(/no card\.json/), samples: [] });
    expect((await get(await folder('{ not json', 'none'))).problem).toMatch(/not valid JSON/);
    expect((await get(await folder({ ...CARD, version: 2 }, 'none'))).problem).toMatch(/malformed at version/);
    const escape = { ...CARD, samples: [{ image: '../secret.png', question: 'q' }] };
    expect((await get(await folder(escape, 'none'))).problem).toMatch(
      /malformed at samples\.0\.image: must be a path inside the model folder/,
    );
  });

  it('reads the shipped model by default', async () => {
    const view = await get();
    expect(view.dir).toBe(path.resolve(DEFAULT_MODEL_DIR));
    if (fs.existsSync(path.join(DEFAULT_MODEL_DIR, 'card.json'))) expect(view.card?.name).toBe('SliME-Nano');
    else expect(view.problem).toMatch(/no card\.json/);
  });
});
