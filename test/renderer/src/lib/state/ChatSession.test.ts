// Unit: the open chat against the real services and SliME-Nano — a question without an image is refused (nothing
// stored), attach → ask → the persisted question and answer, regenerate and edit-and-resend as replacements on the
// visible path, reopening the chat, and the replay context the inspector asks again with.
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installRealApi, NANO_DIR, type RealApi } from '../../../harness/realApi.ts';
import { REPO_ROOT } from '../../../../../electron/node/paths.ts';
import type { Api } from '../../../../../renderer/src/lib/api/client.ts';
import type { Message } from '../../../../../electron/shared/ipc/dataset.ts';
import type { ChatSession as SessionType } from '../../../../../renderer/src/lib/state/ChatSession.svelte.ts';

const TINY_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'slime-tiny');

interface Sample {
  image: string;
  question: string;
  answer: string;
}
let real: RealApi;
let api: Api;
let ChatSession: typeof SessionType;
let identicalNote: (versions: readonly Message[], index: number) => string | null;
let session: SessionType;
let sample: Sample;
let other: Sample;

beforeAll(async () => {
  real = await installRealApi('chat');
  ({ api } = await import('../../../../../renderer/src/lib/api/client.ts'));
  ({ ChatSession } = await import('../../../../../renderer/src/lib/state/ChatSession.svelte.ts'));
  ({ identicalNote } = await import('../../../../../renderer/src/lib/state/ChatVersions.ts'));
  const samples = JSON.parse(await readFile(path.join(NANO_DIR, 'samples', 'samples.json'), 'utf8')) as Sample[];
  sample = { ...samples[0]!, image: path.join(NANO_DIR, 'samples', samples[0]!.image) };
  const next = samples.find((x) => x.image !== samples[0]!.image)!;
  other = { ...next, image: path.join(NANO_DIR, 'samples', next.image) };
  session = new ChatSession();
});

afterAll(async () => {
  await real?.close();
});

describe('ChatSession', () => {
  it('refuses a question before an image is attached, storing nothing', async () => {
    expect(await session.send(sample.question)).toBe(false);
    expect(session.error?.message).toMatch(/Attach an image first/);
    expect(session.conversation).toBeNull();
    expect((await api.dataset.listConversations({})).total).toBe(0);
    expect(await session.send('   ')).toBe(false);
  });

  it('attaches an image and answers a question about it, persisting both messages', async () => {
    const file = new File([await readFile(sample.image)], path.basename(sample.image), { type: 'image/png' });
    expect(await session.attach(file)).toBe(true);
    const sha = session.attachment!.sha256;
    expect(session.currentImage).toBe(sha);
    expect(session.attachment!.url).toMatch(/^\/image\//);
    expect(session.attachment!.url).toBe(`/image/sha/${sha}`);
    expect(await session.send(sample.question)).toBe(true);
    expect(session.streaming).toBeNull();
    expect(session.attachment).toBeNull();
    expect(session.conversation?.title).toBe(sample.question.slice(0, 60));
    expect(session.path.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(session.path[0]!.images).toEqual([sha]);
    const answer = session.path[1]!;
    expect(answer.text.toLowerCase()).toContain(sample.answer.toLowerCase());
    expect(answer.provenance?.['modelDir']).toBe(NANO_DIR);
    const stored = await api.dataset.getConversation(session.conversation!.id);
    expect(stored.messages.map((m) => m.text)).toEqual(session.path.map((m) => m.text));
    expect(session.currentImage).toBe(sha);
  });

  it('regenerates an answer and resends an edited question as replacements', async () => {
    const first = session.path[1]!;
    await session.regenerate(first.id);
    expect(session.messages).toHaveLength(3);
    expect(session.path).toHaveLength(2);
    expect(session.path[1]!.provenance?.['replaces']).toBe(first.id);
    const user = session.path[0]!;
    await session.editAndResend(user.id, 'What colour is the circle?');
    expect(session.path.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(session.path[0]!.text).toBe('What colour is the circle?');
    expect(session.path[0]!.provenance?.['replaces']).toBe(user.id);
    expect(session.path[0]!.images).toEqual(user.images);
    expect(session.messages).toHaveLength(5);
  });

  it('reopens the chat with the same visible path and gives the inspector its replay context', async () => {
    const other = new ChatSession();
    await other.open(session.conversation!.id);
    expect(other.path.map((m) => m.id)).toEqual(session.path.map((m) => m.id));
    const answer = other.path[1]!;
    // Stored images are served by hash: the URL needs no lookup and is the same in every session.
    expect(other.urlFor(other.path[0]!.images[0]!)).toMatch(/^\/image\//);
    const { url, context } = other.replayOf(answer);
    expect(url).toBe(session.urlFor(other.path[0]!.images[0]!));
    // …and the store resolves that URL's hash to the image file (what the protocol and browser-mode server serve).
    expect(await real.services.storedImage(url!.split('/').at(-1)!)).toMatch(/\.png$/);
    expect(context?.image).toEqual({ hash: other.path[0]!.images[0] });
    expect(context?.question).toBe('What colour is the circle?');
    expect(context?.modelDir).toBe(NANO_DIR);
    other.reset();
    expect([other.conversation, other.path.length, other.currentImage]).toEqual([null, 0, null]);
    await other.open(424_242);
    expect(other.error?.message).toBeTruthy();
  });

  it('keeps an answer stopped while cutting tiles — marked stopped, with what it had — and regenerates it', async () => {
    const chat = new ChatSession();
    // The sample scaled up 12× (same picture, same answer): cutting its tiles takes long enough for the stop to land
    // before the first token on a loaded machine (the 112×224 original is cut in ~20 ms).
    const { width, height } = await sharp(other.image).metadata();
    const large = await sharp(other.image)
      .resize(width * 12, height * 12, { kernel: 'lanczos3' })
      .png()
      .toBuffer();
    const file = new File([new Uint8Array(large)], `large-${path.basename(other.image)}`, { type: 'image/png' });
    expect(await chat.attach(file)).toBe(true);
    const stages: string[] = [];
    const off = api.inference.onStage((e) => {
      stages.push(e.stage);
      if (e.stage === 'preprocess') chat.stop();
    });
    expect(await chat.send(other.question)).toBe(true);
    off();
    expect(stages).toContain('preprocess');
    expect(stages).not.toContain('generate');
    expect(chat.streaming).toBeNull();
    const stopped = chat.path.at(-1)!;
    expect(stopped.role).toBe('assistant');
    expect(stopped.text).toBe('');
    expect(stopped.provenance).toMatchObject({ outcome: 'stopped', stopped: true, modelDir: NANO_DIR });
    expect(stopped.perf).toMatchObject({ stopped: true, generated: 0 });
    expect(chat.error).toBeNull();
    await chat.regenerate(stopped.id);
    const answer = chat.path.at(-1)!;
    expect(answer.id).not.toBe(stopped.id);
    expect(answer.provenance?.['replaces']).toBe(stopped.id);
    expect(answer.text.toLowerCase()).toContain(other.answer.toLowerCase());
    expect(chat.path.map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('keeps every version of a regenerated answer, shows any of them, and says when greedy decoding repeated one', async () => {
    const chat = new ChatSession();
    const file = new File([await readFile(sample.image)], path.basename(sample.image), { type: 'image/png' });
    expect(await chat.attach(file)).toBe(true);
    expect(await chat.send(sample.question)).toBe(true);
    const first = chat.path[1]!;
    expect(chat.settings.temperature).toBe(0);
    await chat.regenerate(first.id);
    const second = chat.path[1]!;
    expect(second.id).not.toBe(first.id);
    expect(second.text).toBe(first.text);
    const { versions, index } = chat.versions(second);
    expect(versions.map((m) => m.id)).toEqual([first.id, second.id]);
    expect(index).toBe(1);
    expect(identicalNote(versions, 1)).toMatch(/Identical to version 1: decoding is greedy \(temperature 0\)/);
    expect(identicalNote(versions, 0)).toBeNull();
    chat.showVersion(second, 0);
    expect(chat.path[1]!.id).toBe(first.id);
    expect(chat.versions(chat.path[1]!).index).toBe(0);
    // A regeneration from an older version still adds a new latest version (it replaces the latest one).
    await chat.regenerate(first.id);
    const third = chat.path[1]!;
    expect(chat.versions(third).versions.map((m) => m.id)).toEqual([first.id, second.id, third.id]);
    expect(chat.messages.filter((m) => m.role === 'assistant')).toHaveLength(3);
    expect(chat.path).toHaveLength(2);
  });

  it('keeps a failed answer out of the thread, says why, and tries again', async () => {
    const chat = new ChatSession();
    const bytes = await readFile(other.image);
    const stored = await api.dataset.addImage(new Uint8Array(bytes), 'stored.png');
    expect(await chat.attach(new File([bytes], 'again.png', { type: 'image/png' }))).toBe(true);
    await rename(stored.path, `${stored.path}.away`);
    try {
      expect(await chat.send(other.question)).toBe(true);
    } finally {
      await rename(`${stored.path}.away`, stored.path);
    }
    expect(chat.error?.retry).toBe(true);
    expect(chat.error?.code).toMatch(/^image\//);
    expect(chat.path.map((m) => m.role)).toEqual(['user']);
    const failed = chat.messages.find((m) => m.role === 'assistant')!;
    expect(failed.provenance).toMatchObject({ outcome: 'failed', error: { code: chat.error!.code } });
    await chat.retry();
    expect(chat.error).toBeNull();
    expect(chat.path.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(chat.path[1]!.text.toLowerCase()).toContain(other.answer.toLowerCase());
    expect(chat.messages.filter((m) => m.role === 'user')).toHaveLength(1);
  });

  it('says how the inference process died when it is killed mid-answer, and answers again after it restarts', async () => {
    const chat = new ChatSession();
    const file = new File([await readFile(other.image)], path.basename(other.image), { type: 'image/png' });
    expect(await chat.attach(file)).toBe(true);
    const off = api.inference.onStage((e) => {
      if (e.stage === 'queued' && real.services.inference.pid) process.kill(real.services.inference.pid, 'SIGKILL');
    });
    try {
      expect(await chat.send(other.question)).toBe(true);
    } finally {
      off();
    }
    expect(chat.error).toMatchObject({ code: 'inference/crashed', retry: true });
    expect(chat.error!.message).toContain('was killed (signal SIGKILL)');
    expect(chat.error!.hint).toMatch(/memory ran low/);
    const failed = chat.messages.findLast((m) => m.role === 'assistant')!;
    expect(failed.provenance).toMatchObject({ outcome: 'failed', error: { code: 'inference/crashed', details: { reason: 'killed' } } });
    await chat.retry();
    expect(chat.error).toBeNull();
    expect(chat.path.at(-1)!.text.toLowerCase()).toContain(other.answer.toLowerCase());
  });

  it('follows an answer main is still running when another page opens the chat, until it ends', async () => {
    // The tiny fixture model writes until maxNewTokens: long enough for a second page to open the chat mid-answer.
    const { models } = await import('../../../../../renderer/src/lib/state/ModelsState.svelte.ts');
    expect(await models.addFolder(TINY_DIR)).toBe(true);
    await models.select(TINY_DIR);
    const asker = new ChatSession();
    const file = new File([await readFile(path.join(TINY_DIR, 'images', 'wide.png'))], 'wide.png', { type: 'image/png' });
    expect(await asker.attach(file)).toBe(true);
    asker.updateSettings({ ...asker.settings, maxNewTokens: 4000 });
    const sent = asker.send('Describe everything you see.');
    await until(() => (asker.streaming?.generated ?? 0) > 0);
    const requestId = asker.streaming!.requestId!;
    const page = new ChatSession();
    await page.open(asker.conversation!.id);
    expect(page.streaming).toMatchObject({ requestId, assistantMessageId: asker.streaming!.assistantMessageId });
    const seen: number[] = [];
    await until(() => {
      if (page.streaming) seen.push(page.streaming.generated);
      return page.streaming === null;
    });
    expect(await sent).toBe(true);
    // The page received the tokens as they came, then showed the saved answer.
    expect(Math.max(...seen)).toBeGreaterThan(0);
    expect(page.path.at(-1)!.provenance).toMatchObject({ requestId, outcome: 'done' });
    expect(page.path.map((m) => m.text)).toEqual(asker.path.map((m) => m.text));
    expect(await api.chat.running()).toEqual([]);
    await models.select(null);
  });

  it('does not follow an answer that is not running (it ended, or main closed mid-answer)', async () => {
    const { followChatRun } = await import('../../../../../renderer/src/lib/state/ChatRun.ts');
    const tokens: unknown[] = [];
    expect(await followChatRun('chat-not-running', { ontoken: (t) => tokens.push(t), onstage: () => undefined })).toBeNull();
    expect(tokens).toEqual([]);
  });
});

/** Resolves once `ready()` holds (polled every 20 ms; fails after 60 s). */
async function until(ready: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
