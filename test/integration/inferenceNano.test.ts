// Integration: the shipped SliME-Nano (models/nano) through the real inference process answers every shipped
// sample question exactly as the Python onnxruntime pipeline did when models/ picked the samples (skipped until
// the model folder exists).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Supervisor } from '../../electron/shared/process/supervisor.ts';
import { forkSpawner } from '../../electron/node/forkChild.ts';
import { INFERENCE_ENTRY, REPO_ROOT } from '../../electron/node/paths.ts';
import type { AskResult } from '../../electron/shared/ipc/inference.ts';

const NANO = path.join(REPO_ROOT, 'models', 'nano');
const SAMPLES = path.join(NANO, 'samples', 'samples.json');
const HAVE = existsSync(path.join(NANO, 'manifest.json')) && existsSync(SAMPLES);
const samples: { image: string; question: string; answer: string; box: number[] }[] = HAVE ? JSON.parse(readFileSync(SAMPLES, 'utf8')) : [];

let sup: Supervisor;
beforeAll(() => {
  sup = new Supervisor({ spawn: forkSpawner(INFERENCE_ENTRY), name: 'inference', defaultTimeoutMs: 120_000 });
});
afterAll(() => sup.stop());

describe.skipIf(!HAVE)('SliME-Nano samples', () => {
  it.each(samples.map((s) => [s.image, s.question, s] as const))('%s: %s', async (_img, _q, s) => {
    const r = await sup.request<AskResult>('ask', {
      requestId: s.image,
      modelDir: NANO,
      image: { path: path.join(NANO, 'samples', s.image) },
      question: s.question,
      sampling: { maxNewTokens: 6 },
    });
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    expect(r.value.answer.trim()).toBe(s.answer);
  });
});
