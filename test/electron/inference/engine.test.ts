// Unit: the engine on the slime-tiny model in-process — KV-prefix reuse gives the same tokens as a cold run, ask /
// score / ask fired together keep their rows apart, a request cancelled while queued leaves at once, stream pieces
// add up to the answer, bad arguments are named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Engine } from '../../../electron/inference/engine.ts';
import { toAppError } from '../../../electron/shared/errors.ts';

const MODEL = path.resolve(import.meta.dirname, '../../fixtures/slime-tiny');
const IMAGE = path.join(MODEL, 'images', 'square.png');
const engine = new Engine();
const none = (): void => undefined;
const live = (): AbortSignal => new AbortController().signal;

beforeAll(async () => {
  await engine.load({ modelDir: MODEL, providers: ['cpu'] });
});
afterAll(() => engine.unload());

const ask = (requestId: string, question: string, signal = live(), emit: (p: unknown) => void = none) =>
  engine.ask({ requestId, image: { path: IMAGE }, question, selector: { topP: 1 }, sampling: { maxNewTokens: 6 } }, signal, emit);

describe('Engine', () => {
  it('reuses the KV prefix across questions on the same image and matches a cold run token for token', async () => {
    await ask('a', 'What color is the small square?');
    const warm = await ask('b', 'What color is the big circle?');
    expect(warm.inspection.timings.kvReusedTokens).toBeGreaterThan(64);
    expect(warm.inspection.timings.kvReusedTokens).toBeLessThan(warm.inspection.tokens.prefill - 1);
    engine.resetCaches();
    const cold = await ask('c', 'What color is the big circle?');
    expect(cold.inspection.timings.kvReusedTokens).toBe(0);
    expect(cold.inspection.timings.featureCacheHit).toBe(false);
    expect(warm.tokenIds).toEqual(cold.tokenIds);
  });

  it('ask, score and a repeated ask fired together run one at a time, score leaving the conversation cache alone', async () => {
    const circle = 'What color is the big circle?';
    const scoreArgs = { image: { path: IMAGE }, question: circle, answer: 'Red.' };
    engine.resetCaches();
    await ask('p1', 'What color is the small square?');
    const direct = await ask('p2', circle);
    const alone = await engine.score(scoreArgs, live());
    engine.resetCaches();
    const [first, scored, second, again] = await Promise.all([
      ask('c1', 'What color is the small square?'),
      engine.score(scoreArgs, live()),
      ask('c2', circle),
      ask('c3', circle),
    ]);
    expect(first.tokenIds.length).toBeGreaterThan(0);
    expect(scored).toEqual(alone);
    expect(second.tokenIds).toEqual(direct.tokenIds);
    expect(second.inspection.timings.kvReusedTokens).toBe(direct.inspection.timings.kvReusedTokens);
    expect(again.tokenIds).toEqual(direct.tokenIds);
    expect(again.inspection.timings.kvReusedTokens).toBe(again.inspection.tokens.prefill - 1);
  });

  it('streams pieces that add up to the answer', async () => {
    const pieces: string[] = [];
    const r = await ask('s', 'Describe the image.', live(), (p) => {
      const e = p as { kind: string; text?: string };
      if (e.kind === 'token') pieces.push(e.text!);
    });
    expect(pieces.join('')).toBe(r.answer);
  });

  it('a request cancelled while queued fails with inference/cancelled and the queue goes on', async () => {
    const first = ask('q1', 'How many circles are there?');
    const controller = new AbortController();
    const second = ask('q2', 'How many circles are there?', controller.signal);
    controller.abort();
    const third = ask('q3', 'How many circles are there?');
    const codes = await Promise.all([first, second, third].map((p) => p.then(() => 'ok').catch((e: unknown) => toAppError(e).code)));
    expect(codes).toEqual(['ok', 'inference/cancelled', 'ok']);
    expect(engine.status()).toMatchObject({ busy: false, queued: 0 });
  });

  it('drops a literal <image> in the question or history, keeping the one image placeholder', async () => {
    const r = await engine.ask(
      {
        requestId: 'lit',
        image: { path: IMAGE },
        question: 'What is <image> here?',
        history: [
          { role: 'user', content: '<image>\nHi' },
          { role: 'assistant', content: 'Hello.' },
        ],
      },
      live(),
      none,
    );
    expect(r.inspection.tokens.prompt).toBeGreaterThan(10);
    // The same request with the literals removed by hand: the same prompt and (greedy) the same answer.
    const clean = await engine.ask(
      {
        requestId: 'lit-clean',
        image: { path: IMAGE },
        question: 'What is  here?',
        history: [
          { role: 'user', content: '\nHi' },
          { role: 'assistant', content: 'Hello.' },
        ],
      },
      live(),
      none,
    );
    expect(r.inspection.tokens.prompt).toBe(clean.inspection.tokens.prompt);
    expect(r.inspection.tokens.prefill).toBe(clean.inspection.tokens.prefill);
    expect(r.tokenIds).toEqual(clean.tokenIds);
  });

  it('names bad arguments', async () => {
    const e = await engine
      .ask({ requestId: 'x', image: { path: IMAGE }, question: 'Hi', sampling: { temperature: -1 } }, live(), none)
      .catch((t: unknown) => toAppError(t));
    expect(e).toMatchObject({ code: 'ipc/bad-args' });
    expect((e as { message: string }).message).toContain('sampling.temperature');
  });
});
