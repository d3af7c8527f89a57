// Integration: the inference service over the real forked inference process on the slime-tiny model — streaming,
// inspection record, feature/KV caches, re-selection, queue, cancel within 100 ms, crash restart, score, bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import path from 'node:path';
import { ContractClient } from '../../electron/shared/process/client.ts';
import { inferenceProcessContract } from '../../electron/shared/ipc/inferenceProcess.ts';
import { Supervisor } from '../../electron/shared/process/supervisor.ts';
import { forkSpawner } from '../../electron/node/forkChild.ts';
import { INFERENCE_ENTRY } from '../../electron/node/paths.ts';
import { createInferenceService } from '../../electron/node/services/inferenceService.ts';
import type { AskRequest, AskResult, TokenEvent, StageEvent } from '../../electron/shared/ipc/inference.ts';
import { AppFailure, toAppError } from '../../electron/shared/errors.ts';
import { createRouter, bind } from '../../electron/shared/ipc/router.ts';
import { methodChannel, type ClientApi } from '../../electron/shared/ipc/contract.ts';
import { inferenceContract } from '../../electron/shared/ipc/inference.ts';

type Unwrapped<T> = T extends (...a: infer A) => Promise<{ ok: true; value: infer R } | { ok: false }> ? (...a: A) => Promise<R> : never;
type Client = { [K in keyof typeof inferenceContract.methods]: Unwrapped<ClientApi<typeof inferenceContract>[K]> };

/** A client that goes through the router (zod parsing, defaults) like every transport, throwing AppFailure. */
function clientOf(impl: ReturnType<typeof createInferenceService>): Client {
  const router = createRouter([bind(inferenceContract, impl)]);
  const client: Record<string, (...a: unknown[]) => Promise<unknown>> = {};
  for (const name of Object.keys(inferenceContract.methods)) {
    client[name] = async (...args) => {
      const r = await router.dispatch(methodChannel('inference', name), args);
      if (!r.ok) throw new AppFailure(r.error.code, r.error.message);
      return r.value;
    };
  }
  return client as unknown as Client;
}

const MODEL = path.resolve(import.meta.dirname, '../fixtures/slime-tiny');
const IMAGE = path.join(MODEL, 'images', 'wide.png');
let tmp = '';
let sup: Supervisor;
let svc: Client;
const tokens: TokenEvent[] = [];
const stages: StageEvent[] = [];

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'slime-inf-'));
  sup = new Supervisor({
    spawn: forkSpawner(INFERENCE_ENTRY, { env: { SLIME_TEST_HOOKS: '1' } }),
    name: 'inference',
    defaultTimeoutMs: 60_000,
  });
  svc = clientOf(
    createInferenceService({
      inference: new ContractClient(inferenceProcessContract, sup),
      defaultModelDir: MODEL,
      emit: (name, payload) => (name === 'token' ? tokens.push(payload as TokenEvent) : stages.push(payload as StageEvent)),
    }),
  );
});
afterAll(async () => {
  await sup.stop();
  rmSync(tmp, { recursive: true, force: true });
});

let seq = 0;
function req(over: Partial<AskRequest> = {}): AskRequest {
  return {
    requestId: `r${seq++}`,
    image: { path: IMAGE },
    question: 'What color is the small square?',
    sampling: { maxNewTokens: 8 },
    ...over,
  };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (thrown) {
    return toAppError(thrown).code;
  }
}

describe('inference service over the inference process', () => {
  it('answers, streams whole pieces that add up to the answer, and returns a full inspection record', async () => {
    const r = await svc.ask(req({ requestId: 'first' }));
    const streamed = tokens
      .filter((t) => t.requestId === 'first')
      .map((t) => t.text)
      .join('');
    expect(streamed).toBe(r.answer);
    const i = r.inspection;
    expect(i.original).toEqual({ width: 200, height: 120 });
    expect(i.grid).toEqual({ cols: 3, rows: 2, tiles: 6 });
    expect(i.tiles).toHaveLength(6);
    expect(i.tokens.localBefore).toBe(6 * 16);
    expect(i.selector.scores).toHaveLength(96);
    expect(i.selector.kept.filter((k) => k === 1)).toHaveLength(i.tokens.localAfter);
    expect(i.routerWeights).toHaveLength(64 * 2);
    expect(i.attentionHeat?.data).toHaveLength(6 * 64);
    expect(i.tokens.prefill).toBe(i.tokens.prompt + 64 + 1 + i.tokens.localAfter);
    expect(i.providers.map((p) => p.graph)).toEqual(['vision_encoder', 'projector', 'embed_tokens', 'decoder']);
    expect(i.timings.total).toBeGreaterThan(0);
    expect(stages.filter((s) => s.requestId === 'first').map((s) => s.stage)).toEqual(
      expect.arrayContaining(['queued', 'decode', 'encode', 'prefill']),
    );
  });

  it('reuses cached image features and the KV prefix on a repeated question; greedy is deterministic', async () => {
    const a = await svc.ask(req());
    const b = await svc.ask(req());
    expect(b.inspection.timings.featureCacheHit).toBe(true);
    expect(b.inspection.timings.kvReusedTokens).toBe(b.inspection.tokens.prefill - 1);
    expect(b.tokenIds).toEqual(a.tokenIds);
  });

  it('re-selects with top-p 1 from cached features and keeps every local token', async () => {
    const r = await svc.reselect(req({ selector: { topP: 1 } }));
    expect(r.inspection.timings.featureCacheHit).toBe(true);
    expect(r.inspection.tokens.localAfter).toBe(r.inspection.tokens.localBefore);
  });

  it('keeps multi-turn history in the prompt', async () => {
    const one = await svc.ask(req());
    const two = await svc.ask(
      req({
        history: [
          { role: 'user', content: 'What color is the small square?' },
          { role: 'assistant', content: one.answer },
        ],
        question: 'And the circle?',
      }),
    );
    expect(two.inspection.tokens.prompt).toBeGreaterThan(one.inspection.tokens.prompt + 5);
  });

  it('queues concurrent requests and answers both', async () => {
    const [a, b] = await Promise.all([svc.ask(req()), svc.ask(req({ question: 'How many circles are there?' }))]);
    expect(a.answer.length + b.answer.length).toBeGreaterThan(0);
  });

  it('cancels a running generation and the process is idle again within 100 ms', async () => {
    const id = 'cancel-me';
    const p = svc.ask(req({ requestId: id, sampling: { maxNewTokens: 400, temperature: 1, seed: 1 } }));
    while (!tokens.some((t) => t.requestId === id)) await new Promise((r) => setTimeout(r, 1));
    const t0 = performance.now();
    expect(await svc.cancel(id)).toBe(true);
    expect(await code(p)).toBe('inference/cancelled');
    for (;;) {
      const s = await svc.status();
      if (!s.busy) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it('fails pending callers with inference/crashed when the process dies, then restarts', async () => {
    const p = svc.ask(req({ sampling: { maxNewTokens: 400, temperature: 1 } }));
    await new Promise((r) => setTimeout(r, 30));
    process.kill(sup.pid!, 'SIGKILL');
    expect(await code(p)).toBe('inference/crashed');
    const after = await svc.ask(req());
    expect(after.inspection.grid.tiles).toBe(6);
  });

  it('scores an answer with the full visual block and with the global view only', async () => {
    const s = await svc.score({ image: { path: IMAGE }, question: 'What color is the small square?', answer: 'It is red.' });
    expect(Number.isFinite(s.full) && Number.isFinite(s.globalOnly)).toBe(true);
    expect(s.full).not.toBe(s.globalOnly);
    expect(s.full).toBeLessThan(0);
  });

  it('lists and validates model folders', async () => {
    const list = await svc.listModels([path.join(tmp, 'none')]);
    expect(list.map((m) => [m.isDefault, m.valid, m.error?.code ?? null])).toEqual([
      [true, true, null],
      [false, false, 'inference/model-missing'],
    ]);
    const st = await svc.loadModel({ modelDir: MODEL, providers: ['cpu'], warmup: true });
    expect(st.providers.every((p) => p.provider === 'cpu')).toBe(true);
  });
});

describe('bad input through the process gives clear codes and leaves it serving', () => {
  it('empty question → prompt/empty', async () => expect(await code(svc.ask(req({ question: '   ' })))).toBe('prompt/empty'));
  it('100 KB question → prompt/too-long', async () =>
    expect(await code(svc.ask(req({ question: 'detail '.repeat(15_000) })))).toBe('prompt/too-long'));
  it('unknown model folder → inference/model-missing', async () =>
    expect(await code(svc.ask(req({ modelDir: path.join(tmp, 'missing') })))).toBe('inference/model-missing'));
  it('manifest from a future version → inference/model-unsupported', async () => {
    const dir = path.join(tmp, 'future');
    cpSync(MODEL, dir, { recursive: true });
    const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { version: number };
    m.version = 3;
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    expect(await code(svc.ask(req({ modelDir: dir })))).toBe('inference/model-unsupported');
  });
  it('a version-1 model folder → inference/model-unsupported with the re-export command in the message', async () => {
    const dir = path.join(tmp, 'v1');
    cpSync(MODEL, dir, { recursive: true });
    const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { version: number };
    m.version = 1;
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    const e = await svc.ask(req({ modelDir: dir })).then(
      () => null,
      (thrown: unknown) => toAppError(thrown),
    );
    expect(e?.code).toBe('inference/model-unsupported');
    expect(e?.message).toContain('-m models.export --checkpoint DIR --out DIR');
    expect(e?.message).toContain('-m models.upgrade OLD_DIR NEW_DIR');
  });
  it('corrupted .onnx → inference/model-invalid', async () => {
    const dir = path.join(tmp, 'corrupt');
    cpSync(MODEL, dir, { recursive: true });
    writeFileSync(path.join(dir, 'projector.onnx'), Buffer.from('not a model'));
    expect(await code(svc.ask(req({ modelDir: dir })))).toBe('inference/model-invalid');
  });
  it('zero-byte image → image/corrupt; text named .png → image/unsupported; missing → image/not-found', async () => {
    writeFileSync(path.join(tmp, 'zero.png'), Buffer.alloc(0));
    writeFileSync(path.join(tmp, 'text.png'), 'just words, no pixels');
    expect(await code(svc.ask(req({ image: { path: path.join(tmp, 'zero.png') } })))).toBe('image/corrupt');
    expect(await code(svc.ask(req({ image: { path: path.join(tmp, 'text.png') } })))).toBe('image/unsupported');
    expect(await code(svc.ask(req({ image: { path: path.join(tmp, 'gone.png') } })))).toBe('image/not-found');
    expect(await code(svc.ask(req({ image: { hash: 'ab'.repeat(32) } })))).toBe('image/not-found');
  });
  it('1×1 and 30000×20 images run the whole pipeline; a PNG declaring 100000×100000 → image/too-large', async () => {
    const dot = path.join(tmp, 'dot.png');
    const pano = path.join(tmp, 'pano.png');
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#ff0000' } })
      .png()
      .toFile(dot);
    await sharp({ create: { width: 30_000, height: 20, channels: 3, background: '#00ff00' } })
      .png()
      .toFile(pano);
    const a = await svc.ask(req({ image: { path: dot } }));
    expect([a.inspection.grid.cols, a.inspection.grid.rows]).toEqual([1, 2]);
    const b = await svc.ask(req({ image: { path: pano } }));
    // Every candidate grid rounds the 20-pixel side to 0 effective pixels, so the least-waste rule of spec §2.2
    // keeps the first five-tile candidate, 1×5 (the reference does the same).
    expect([b.inspection.grid.cols, b.inspection.grid.rows]).toEqual([1, 5]);
    expect(b.inspection.original).toEqual({ width: 30_000, height: 20 });
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(100_000, 0);
    ihdr.writeUInt32BE(100_000, 4);
    ihdr.set([8, 2, 0, 0, 0], 8);
    const chunk = (type: string, data: Buffer): Buffer => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(data.length);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), data])));
      return Buffer.concat([len, Buffer.from(type), data, crc]);
    };
    writeFileSync(
      path.join(tmp, 'bomb.png'),
      Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IEND', Buffer.alloc(0))]),
    );
    expect(await code(svc.ask(req({ image: { path: path.join(tmp, 'bomb.png') } })))).toBe('image/too-large');
  });

  it('still answers afterwards', async () => {
    const r: AskResult = await svc.ask(req({ modelDir: MODEL }));
    expect(r.model.dir).toBe(MODEL);
  });
});
