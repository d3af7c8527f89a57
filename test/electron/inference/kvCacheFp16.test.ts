// Unit: the float16 KV cache on an fp16 export of slime-tiny (made by the converter's `models.upgrade --dtype fp16`):
// Uint16Array buffers, prefix reuse across a capacity boundary = a fresh run, logits close to the fp32 fixture's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadModel, releaseModel, type LoadedModel } from '../../../electron/inference/model.ts';
import { emptyKv } from '../../../electron/inference/generate.ts';
import { greedy, maxAbsDiff, promptIds as ids, reuseAcrossBoundary } from './kvScenarios.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'slime-tiny');
const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
const HAVE = existsSync(PYTHON);
let tmp = '';
let fp16: LoadedModel;
let fp32: LoadedModel;

beforeAll(async () => {
  if (!HAVE) return;
  tmp = mkdtempSync(path.join(os.tmpdir(), 'slime-fp16-'));
  execFileSync(PYTHON, ['-m', 'models.upgrade', FIXTURE, path.join(tmp, 'fp16'), '--dtype', 'fp16'], { cwd: ROOT, stdio: 'ignore' });
  fp16 = await loadModel(path.join(tmp, 'fp16'), { providers: ['cpu'] });
  fp32 = await loadModel(FIXTURE, { providers: ['cpu'] });
}, 120_000);
afterAll(async () => {
  if (!HAVE) return;
  await Promise.all([releaseModel(fp16), releaseModel(fp32)]);
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!HAVE)('float16 KV cache (fp16 export of slime-tiny)', () => {
  it('declares float16 KV and holds it in Uint16Array buffers', async () => {
    expect(fp16.manifest.llm.kv_dtype).toBe('float16');
    const kv = emptyKv(fp16);
    await greedy(fp16, kv, ids(20, 1), 2);
    expect(kv.peek(0, 0, 0, 0)).toBeInstanceOf(Uint16Array);
    expect(kv.peek(0, 0, 0, 0).some((v) => v !== 0)).toBe(true);
  });

  it('prefix reuse across a capacity boundary gives the tokens of a fresh run; logits stay close to fp32', async () => {
    const r = await reuseAcrossBoundary(fp16, { shared: ids(30, 2), primeTail: ids(10, 3), primeTokens: 4, over: 10, seed: 4 });
    expect(r.warm.reused).toBe(30);
    expect(r.capacityAfter).toBeGreaterThan(r.capacityBefore);
    expect(r.warm.tokens).toEqual(r.cold.tokens);
    const ref = await greedy(fp32, emptyKv(fp32), r.second, 1);
    expect(maxAbsDiff(ref.first, r.cold.first)).toBeLessThanOrEqual(0.05);
  });
});
