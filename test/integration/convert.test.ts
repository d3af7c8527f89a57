// Integration: the `convert` service runs the real streaming converter (`python -m models.export --progress-json`,
// the repository's .venv) on tiny checkpoints in the exact released layout — progress events, the folder validated by
// the real inference process and listed in the settings; a cancel mid-run (no partial output, job cancelled); a broken
// checkpoint (the converter's named error); the checks before a start; the CLI equivalent.
import { existsSync, readdirSync, rmSync, cpSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../electron/node/services/createServices.ts';
import { createConvertService } from '../../electron/node/services/convertService.ts';
import { forkSpawner } from '../../electron/node/forkChild.ts';
import { INFERENCE_ENTRY, DEFAULT_MODEL_DIR, REPO_ROOT } from '../../electron/node/paths.ts';
import { createRouter, type Router } from '../../electron/shared/ipc/router.ts';
import { eventChannel } from '../../electron/shared/ipc/contract.ts';
import type { ConvertJob } from '../../electron/shared/ipc/convert.ts';
import type { Result } from '../../electron/shared/errors.ts';
import { runCli } from '../../electron/cli/main.ts';
import { tempDir } from '../database/fixtures.ts';
import { writeTinyCheckpoint, type TinyCheckpoint } from './fixtures/tinyCheckpoint.ts';

let root: string;
let dataDir: string;
let services: Services;
let router: Router;
let tiny: TinyCheckpoint;
const events: ConvertJob[] = [];

beforeAll(async () => {
  root = tempDir('slime-convert-');
  dataDir = path.join(root, 'data');
  tiny = writeTinyCheckpoint(root, 'tiny-llama3');
  services = await createServices({
    spawnInference: forkSpawner(INFERENCE_ENTRY),
    dataDir,
    defaultModelDir: DEFAULT_MODEL_DIR,
    version: 'test',
    electronVersion: null,
    log: () => undefined,
  });
  services.subscribe((channel, payload) => {
    if (channel === eventChannel('convert', 'progress')) events.push(payload as ConvertJob);
  });
  router = createRouter(services.bindings);
});
afterAll(async () => {
  await services?.dispose();
});

async function call<T>(method: string, ...args: unknown[]): Promise<T> {
  const r = (await router.dispatch(`convert:${method}`, args)) as Result<T>;
  if (!r.ok) throw Object.assign(new Error(r.error.message), r.error);
  return r.value;
}

const partials = (out: string): string[] => readdirSync(path.dirname(out)).filter((n) => n.startsWith(`.${path.basename(out)}.partial-`));

describe('convert service (the real converter)', () => {
  it('converts a released-layout checkpoint to int4 with progress and adds the validated folder to the model list', async () => {
    const started = await call<ConvertJob>('start', { checkpoint: tiny.checkpoint, clip: tiny.clip, dtype: 'int4' });
    expect(started).toMatchObject({ status: 'running', request: { out: path.join(dataDir, 'models', 'tiny-llama3-int4') } });
    const end = await call<ConvertJob>('wait', started.jobId);
    expect(end).toMatchObject({ status: 'done', fraction: 1, modelDir: started.request.out });
    const mine = events.filter((e) => e.jobId === started.jobId);
    const fractions = mine.map((e) => e.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(new Set(mine.map((e) => e.stage))).toEqual(new Set(['starting', 'load', 'towers', 'llm', 'finish', 'adding']));
    expect(mine.filter((e) => e.layer).map((e) => e.layer)).toEqual([
      { index: 1, of: 2 },
      { index: 2, of: 2 },
    ]);
    const settings = await router.dispatch('settings:get', []);
    expect(settings).toMatchObject({ ok: true, value: { modelFolders: [started.request.out] } });
    const summary = await router.dispatch('inference:validateModel', [started.request.out]);
    expect(summary).toMatchObject({ ok: true, value: { valid: true, dtype: 'int4' } });
    expect(partials(started.request.out)).toEqual([]);
    expect(await call<ConvertJob[]>('list')).toEqual([end]);
  });

  it('cancels mid-run: the job is cancelled and no partial output remains', async () => {
    // 48 wider layers: the LLM stage lasts over a second after the towers start (measured ~1.1 s for the layers alone).
    const big = writeTinyCheckpoint(root, 'wide', 'llama3', { layers: 48, hidden: 256, intermediate: 768 });
    const out = path.join(root, 'wide-out');
    const started = await call<ConvertJob>('start', { checkpoint: big.checkpoint, clip: big.clip, dtype: 'int4', out });
    let cancelled: Promise<boolean> | null = null;
    const off = services.subscribe((channel, payload) => {
      const job = payload as ConvertJob;
      if (channel === eventChannel('convert', 'progress') && job.jobId === started.jobId && job.stage === 'towers' && !cancelled) {
        expect(partials(out).length).toBe(1); // the converter is writing into its partial sibling
        cancelled = call<boolean>('cancel', started.jobId);
      }
    });
    const end = await call<ConvertJob>('wait', started.jobId);
    off();
    expect(await cancelled).toBe(true);
    expect(end).toMatchObject({ status: 'cancelled', error: { code: 'convert/cancelled' } });
    expect(existsSync(out)).toBe(false);
    expect(partials(out)).toEqual([]);
    expect(await router.dispatch('settings:get', [])).toMatchObject({
      ok: true,
      value: { modelFolders: [expect.not.stringContaining('wide-out')] },
    });
    expect(await call<boolean>('cancel', started.jobId)).toBe(false);
  });

  it("reports the converter's named error for a checkpoint with a missing shard, and writes nothing", async () => {
    const broken = path.join(root, 'broken');
    cpSync(tiny.checkpoint, broken, { recursive: true });
    rmSync(path.join(broken, 'model-00002-of-00002.safetensors'));
    const out = path.join(root, 'broken-out');
    const started = await call<ConvertJob>('start', { checkpoint: broken, clip: tiny.clip, dtype: 'fp16', out });
    const end = await call<ConvertJob>('wait', started.jobId);
    expect(end.status).toBe('failed');
    expect(end.error).toMatchObject({ code: 'convert/checkpoint-invalid', details: { kind: 'missing-shard' } });
    expect(end.error?.message).toContain('model-00002-of-00002.safetensors');
    expect(existsSync(out)).toBe(false);
    expect(partials(out)).toEqual([]);
  });

  it('refuses wrong folders, an occupied output folder and a second job before running anything', async () => {
    const plan = await call<{ out: string; model: { layers: number } }>('plan', {
      checkpoint: tiny.checkpoint,
      clip: tiny.clip,
      dtype: 'int4',
    });
    // The first test's folder exists, so the default moves to a free name.
    expect(plan).toMatchObject({ out: path.join(dataDir, 'models', 'tiny-llama3-int4-2'), model: { layers: 2 } });
    await expect(call('plan', { checkpoint: tiny.clip, clip: tiny.clip, dtype: 'int4' })).rejects.toMatchObject({
      code: 'convert/not-a-checkpoint',
    });
    await expect(call('plan', { checkpoint: tiny.checkpoint, clip: tiny.checkpoint, dtype: 'int4' })).rejects.toMatchObject({
      code: 'convert/not-a-clip-folder',
    });
    await expect(call('plan', { checkpoint: path.join(root, 'nope'), clip: tiny.clip, dtype: 'int4' })).rejects.toMatchObject({
      code: 'io/not-found',
    });
    await expect(call('start', { checkpoint: tiny.checkpoint, clip: tiny.clip, dtype: 'int4', out: root })).rejects.toMatchObject({
      code: 'convert/out-exists',
    });
    expect(await router.dispatch('convert:start', [{ checkpoint: 'relative/path', clip: tiny.clip, dtype: 'int4' }])).toMatchObject({
      ok: false,
      error: { code: 'ipc/bad-args' },
    });
    const first = await call<ConvertJob>('start', { checkpoint: tiny.checkpoint, clip: tiny.clip, dtype: 'fp16' });
    await expect(call('start', { checkpoint: tiny.checkpoint, clip: tiny.clip, dtype: 'int4' })).rejects.toMatchObject({
      code: 'convert/busy',
    });
    expect(await call<ConvertJob>('wait', first.jobId)).toMatchObject({ status: 'done' });
  });

  it('names the missing Python with the command that installs it', async () => {
    const service = createConvertService({
      dataDir,
      converterRoot: REPO_ROOT,
      python: path.join(root, 'no-python-here'),
      addModelFolder: async () => undefined,
      emit: () => undefined,
    });
    await expect(service.impl.start({ checkpoint: tiny.checkpoint, clip: tiny.clip, dtype: 'int4' })).rejects.toMatchObject({
      code: 'convert/python-missing',
      message: expect.stringContaining('pip install -r'),
    });
  });

  it('slime convert does the same from the command line (Vicuna layout, fp16)', async () => {
    const vicuna = writeTinyCheckpoint(root, 'tiny-vicuna', 'vicuna');
    const cliData = path.join(root, 'cli-data');
    const out = path.join(root, 'vicuna-fp16');
    const lines: string[] = [];
    const errs: string[] = [];
    const args = [
      'convert',
      '--checkpoint',
      vicuna.checkpoint,
      '--clip',
      vicuna.clip,
      '--dtype',
      'fp16',
      '--out',
      out,
      '--data-dir',
      cliData,
    ];
    expect(await runCli(args, { out: (l) => lines.push(l), err: (l) => errs.push(l) })).toBe(0);
    expect(lines).toEqual([`${out} (added to the model list)`]);
    expect(errs.some((l) => /layer 2\/2/.test(l))).toBe(true);
    const settings: string[] = [];
    expect(await runCli(['settings', '--data-dir', cliData, '--json'], { out: (l) => settings.push(l), err: () => undefined })).toBe(0);
    expect(JSON.parse(settings.join('\n'))).toMatchObject({ modelFolders: [out] });
  });
});
