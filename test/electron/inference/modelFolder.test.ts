// Unit: model-folder validation on copies of the real slime-tiny folder — unknown folder, missing/invalid/future
// manifest, missing fields, inconsistent dimensions, missing and corrupted .onnx, I/O names that disagree.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { summarizeModelFolder, validateModelFolder } from '../../../electron/inference/modelFolder.ts';
import { loadModel, releaseModel } from '../../../electron/inference/model.ts';
import { AppFailure } from '../../../electron/shared/errors.ts';

const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/slime-tiny');
let root = '';
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'slime-models-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A fresh copy of the fixture folder, with `edit` applied to its manifest. */
function copy(edit?: (m: Record<string, unknown>) => void): string {
  const dir = path.join(root, `m${n++}`);
  mkdirSync(dir);
  for (const f of readdirSync(FIXTURE, { withFileTypes: true }))
    if (f.isFile() && f.name !== 'goldens.json') cpSync(path.join(FIXTURE, f.name), path.join(dir, f.name));
  if (edit) {
    const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    edit(m);
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
  }
  return dir;
}

async function failure(p: Promise<unknown>): Promise<AppFailure> {
  try {
    await p;
  } catch (thrown) {
    if (thrown instanceof AppFailure) return thrown;
    throw thrown;
  }
  throw new Error('expected a failure');
}

type Graphs = Record<string, { sha256: string; bytes: number; inputs: { name: string }[] }>;

describe('validateModelFolder', () => {
  it('accepts the fixture', async () => {
    const f = await validateModelFolder(copy());
    expect(f.manifest.name).toBe('SliME-tiny-fixture');
  });
  it('unknown folder → inference/model-missing', async () => {
    expect((await failure(validateModelFolder(path.join(root, 'nope')))).code).toBe('inference/model-missing');
  });
  it('folder without manifest.json → inference/model-missing', async () => {
    const dir = path.join(root, 'empty');
    mkdirSync(dir);
    expect((await failure(validateModelFolder(dir))).code).toBe('inference/model-missing');
  });
  it('manifest that is not JSON → inference/model-invalid', async () => {
    const dir = copy();
    writeFileSync(path.join(dir, 'manifest.json'), '{ "format": ');
    expect((await failure(validateModelFolder(dir))).code).toBe('inference/model-invalid');
  });
  it('manifest from a future version → inference/model-unsupported naming the field', async () => {
    const e = await failure(validateModelFolder(copy((m) => (m.version = 3))));
    expect(e.code).toBe('inference/model-unsupported');
    expect(e.message).toMatch(/version 3/);
  });
  it('a version-1 folder → inference/model-unsupported naming the re-export and the upgrade command', async () => {
    const v1 = (m: Record<string, unknown>): void => {
      m.version = 1;
      const llm = m.llm as Record<string, unknown>;
      delete llm.rope_theta;
      delete llm.kv_dtype;
    };
    const e = await failure(validateModelFolder(copy(v1)));
    expect(e.code).toBe('inference/model-unsupported');
    expect(e.message).toMatch(/version 1/);
    expect(e.message).toContain('.venv/bin/python -m models.export --checkpoint DIR --out DIR --dtype int4|fp16|fp32');
    expect(e.message).toContain('.venv/bin/python -m models.upgrade OLD_DIR NEW_DIR');
    expect(e.details).toMatchObject({ fields: ['version'] });
  });
  it('a v2 manifest without rope_theta → inference/model-invalid naming it', async () => {
    const e = await failure(validateModelFolder(copy((m) => delete (m.llm as Record<string, unknown>).rope_theta)));
    expect(e.code).toBe('inference/model-invalid');
    expect(e.message).toContain('llm.rope_theta');
  });
  it('max_positions below max_length, or missing → inference/model-invalid naming it', async () => {
    const llm = (m: Record<string, unknown>): Record<string, unknown> => m.llm as Record<string, unknown>;
    const short = await failure(validateModelFolder(copy((m) => (llm(m).max_positions = Number(llm(m).max_length) - 1))));
    expect([short.code, short.message.includes('max_positions')]).toEqual(['inference/model-invalid', true]);
    const gone = await failure(validateModelFolder(copy((m) => delete llm(m).max_positions)));
    expect([gone.code, gone.message.includes('llm.max_positions')]).toEqual(['inference/model-invalid', true]);
  });
  it('a kv_dtype that disagrees with the decoder graph → inference/model-invalid naming it', async () => {
    const other = (m: Record<string, unknown>): void => {
      const llm = m.llm as Record<string, unknown>;
      llm.kv_dtype = llm.kv_dtype === 'float16' ? 'float32' : 'float16';
    };
    const e = await failure(validateModelFolder(copy(other)));
    expect(e.code).toBe('inference/model-invalid');
    expect(e.message).toContain('kv_dtype');
  });
  it('a missing field → inference/model-invalid naming it', async () => {
    const e = await failure(validateModelFolder(copy((m) => delete m.separator_id)));
    expect(e.code).toBe('inference/model-invalid');
    expect(e.message).toContain('separator_id');
  });
  it('inconsistent dimensions → inference/model-invalid naming the field', async () => {
    const e = await failure(validateModelFolder(copy((m) => ((m.projector as Record<string, number>).local_queries = 15))));
    expect(e.code).toBe('inference/model-invalid');
    expect(e.message).toContain('local_queries');
  });
  it('a missing graph file → inference/model-invalid naming it', async () => {
    const dir = copy();
    rmSync(path.join(dir, 'projector.onnx'));
    const e = await failure(validateModelFolder(dir));
    expect([e.code, e.message.includes('projector.onnx')]).toEqual(['inference/model-invalid', true]);
  });
  it('a corrupted .onnx (bytes changed) → inference/model-invalid (sha256)', async () => {
    const dir = copy();
    const file = path.join(dir, 'decoder.onnx');
    const bytes = readFileSync(file);
    const mid = bytes.length >> 1;
    bytes.writeUInt8(bytes.readUInt8(mid) ^ 0xff, mid);
    writeFileSync(file, bytes);
    const e = await failure(validateModelFolder(dir));
    expect(e.code).toBe('inference/model-invalid');
    expect(e.message).toMatch(/decoder\.onnx.*sha256/);
  });
  it('summarize reports the error instead of throwing', async () => {
    const s = await summarizeModelFolder(
      copy((m) => (m.version = 9)),
      false,
    );
    expect([s.valid, s.error?.code]).toEqual([false, 'inference/model-unsupported']);
  });
});

describe('loadModel', () => {
  it('a truncated .onnx whose manifest hash was updated still fails cleanly → inference/model-invalid', async () => {
    const dir = copy();
    const file = path.join(dir, 'embed_tokens.onnx');
    const cut = readFileSync(file).subarray(0, 200);
    writeFileSync(file, cut);
    const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { graphs: Graphs };
    m.graphs.embed_tokens!.sha256 = createHash('sha256').update(cut).digest('hex');
    m.graphs.embed_tokens!.bytes = cut.length;
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    const e = await failure(loadModel(dir, { providers: ['cpu'] }));
    expect(e.code).toBe('inference/model-invalid');
    expect(e.message).toContain('embed_tokens.onnx');
  });
  it('graph input names that disagree with the manifest → inference/model-invalid naming them', async () => {
    const dir = copy((m) => ((m.graphs as Graphs).vision_encoder!.inputs[0]!.name = 'pixels'));
    const e = await failure(loadModel(dir, { providers: ['cpu'] }));
    expect(e.code).toBe('inference/model-invalid');
    expect(e.message).toContain('pixels');
  });
  it('records the provider of every graph and why the others were not used', async () => {
    const m = await loadModel(copy(), { providers: ['webgpu', 'cpu'] });
    try {
      expect(m.providers.map((p) => p.graph)).toEqual(['vision_encoder', 'projector', 'embed_tokens', 'decoder']);
      for (const p of m.providers) {
        expect(p.provider === 'cpu' ? p.attempts.map((a) => a.provider) : []).toEqual(p.provider === 'cpu' ? ['webgpu'] : []);
      }
    } finally {
      await releaseModel(m);
    }
  });
});
