// Integration: a chat answer carries the OOD guard's verdict on its image (real services: forked inference process,
// database worker, the shipped SliME-Nano and its ood.json). A real photo is flagged and the page's notice names the
// model; a Nano sample scene is not; the verdict's score is the TypeScript guard's on the engine's embedding of the
// same image, which the embed call takes from the feature cache the ask filled (one image encoding per answer).
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Services } from '../../electron/node/services/createServices.ts';
import { startServices } from './fixtures/services.ts';
import { eventChannel } from '../../electron/shared/ipc/contract.ts';
import type { ChatEnd, ChatStarted } from '../../electron/shared/ipc/chat.ts';
import type { ImageRecord, Message } from '../../electron/shared/ipc/dataset.ts';
import type { EmbedResult } from '../../electron/shared/ipc/inference.ts';
import type { Result } from '../../electron/shared/errors.ts';
import { loadOodGuard, oodScore } from '../../electron/node/mining/ood.ts';
import { REPO_ROOT } from '../../electron/node/paths.ts';
import { oodNotice } from '../../renderer/src/lib/state/ChatThread.ts';
import { tempDir } from '../database/fixtures.ts';

const NANO = path.join(REPO_ROOT, 'models', 'nano');
const PHOTO = path.join(REPO_ROOT, 'test', 'fixtures', 'mining', 'photos', 'astronaut.png');
const SCENE = path.join(NANO, 'samples', '04-colour.png');
let services: Services | undefined;
afterAll(async () => services?.dispose());

function value<T>(r: Result<unknown>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value as T;
}

describe('chat answer OOD verdict', () => {
  it('flags a real photo, passes a Nano scene, and scores with the TS guard on the cached features', async () => {
    const running = await startServices(tempDir('slime-chat-ood-'), NANO);
    services = running.services;
    const { router } = running;
    const ends: ChatEnd[] = [];
    services.subscribe((channel, payload) => channel === eventChannel('chat', 'end') && ends.push(payload as ChatEnd));
    const guard = (await loadOodGuard(NANO))!;
    const answers: Message[] = [];
    for (const file of [PHOTO, SCENE]) {
      const image = value<ImageRecord>(await router.dispatch('dataset:addImageFile', [file]));
      const started = value<ChatStarted>(
        await router.dispatch('chat:ask', [
          { imageSha256: image.sha256, question: 'What colour is the star?', sampling: { temperature: 0 } },
        ]),
      );
      while (!ends.some((e) => e.requestId === started.requestId)) await new Promise((resolve) => setTimeout(resolve, 20));
      const { messages } = value<{ messages: Message[] }>(await router.dispatch('dataset:getConversation', [started.conversationId]));
      answers.push(messages[1]!);
      const e = value<EmbedResult>(await router.dispatch('inference:embed', [{ image: { hash: image.sha256 }, modelDir: NANO }]));
      expect(e.featureCacheHit).toBe(true);
      expect(messages[1]!.provenance?.['ood']).toEqual({ ...oodScore(guard, e.vector), method: guard.method, threshold: guard.threshold });
    }
    const [photo, scene] = answers;
    expect(photo!.provenance?.['ood']).toMatchObject({ inDist: false, method: 'mahalanobis' });
    expect(oodNotice(photo!)).toBe('This image is unlike what SliME-Nano was trained on: the answer is likely a guess.');
    expect(scene!.provenance?.['ood']).toMatchObject({ inDist: true });
    expect(oodNotice(scene!)).toBeNull();
  });
});
