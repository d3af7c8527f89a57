// Unit: the dataset service through the router and the real database worker thread — validation, errors as data,
// job progress and cancel, the resumable detail-score job (with a deterministic scorer over the real image files).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { createRouter, bind, type Router } from '../../../electron/shared/ipc/router.ts';
import { methodChannels, type ClientApi } from '../../../electron/shared/ipc/contract.ts';
import { datasetContract, type DatasetContract, type JobProgress } from '../../../electron/shared/ipc/dataset.ts';
import type { Result } from '../../../electron/shared/errors.ts';
import { startDatasetWorker, type DatasetWorker } from '../../../electron/node/datasetWorker.ts';
import { createDatasetService } from '../../../electron/node/services/datasetService.ts';
import type { DetailScorer } from '../../../electron/node/datasetScore.ts';
import { makePng, tempDir } from '../../database/fixtures.ts';

type Api = ClientApi<DatasetContract>;

/** The value of a successful Result (fails the test otherwise). */
function must<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

let worker: DatasetWorker | undefined;
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
});

/** Not a stand-in for the engine's maths: a real function of the stored image's pixels and the answer, so results are checkable. */
const brightnessScorer: DetailScorer = async (imagePath, _question, answer) => {
  const { data } = await sharp(imagePath).greyscale().raw().toBuffer({ resolveWithObject: true });
  const mean = data.reduce((s, v) => s + v, 0) / data.length / 255;
  return { full: -answer.length / 100, globalOnly: -answer.length / 100 - mean };
};

function setup(scorer?: DetailScorer, dataDir = tempDir()): { api: Api; events: { name: string; payload: unknown }[]; router: Router } {
  worker = startDatasetWorker({ dataDir });
  const events: { name: string; payload: unknown }[] = [];
  const impl = createDatasetService({ worker, emit: (name, payload) => events.push({ name, payload }), ...(scorer ? { scorer } : {}) });
  const router = createRouter([bind(datasetContract, impl)]);
  const api = Object.fromEntries(
    methodChannels(datasetContract).map((channel) => [channel.split(':')[1], (...args: unknown[]) => router.dispatch(channel, args)]),
  ) as unknown as Api;
  return { api, events, router };
}

describe('dataset service', () => {
  it('validates arguments and returns worker errors as data', async () => {
    const { api, router } = setup();
    expect(await router.dispatch('dataset:getExample', ['one'])).toMatchObject({ ok: false, error: { code: 'ipc/bad-args' } });
    expect(await api.getExample(99)).toMatchObject({ ok: false, error: { code: 'db/not-found' } });
    expect(await api.addImage(new TextEncoder().encode('plain text'), 'x.png')).toMatchObject({
      ok: false,
      error: { code: 'image/unsupported' },
    });
    const image = await api.addImage(new Uint8Array(await makePng(1)), 'a.png');
    expect(image).toMatchObject({ ok: true, value: { width: 64, height: 48 } });
  });

  it('runs an export with progress events and cancels it by job id', async () => {
    const { api, events } = setup();
    const sha = must(await api.addImage(new Uint8Array(await makePng(2)), 'a.png')).sha256;
    const many = Array.from({ length: 2500 }, (_, i) => ({ imageSha256: sha, turns: [{ question: `q${i}`, answer: `a${i}` }] }));
    expect((await worker!.client.call('createExamples', many)).ok).toBe(true);
    const done = await api.exportDataset({ format: 'llava', outDir: tempDir(), jobId: 'full' });
    expect(done).toMatchObject({ ok: true, value: { exported: 2500, images: 1 } });
    const progress = events.filter((e) => e.name === 'jobProgress').map((e) => e.payload as JobProgress);
    expect(progress.at(-1)).toMatchObject({ jobId: 'full', kind: 'export', done: 2500, total: 2500 });
    const out = tempDir();
    const pending = api.exportDataset({ format: 'llava', outDir: out, jobId: 'stop-me' });
    expect(await api.cancelJob('stop-me')).toEqual({ ok: true, value: true });
    expect(await pending).toMatchObject({ ok: false, error: { code: 'process/cancelled' } });
    expect(await api.cancelJob('stop-me')).toEqual({ ok: true, value: false });
  });

  it('scores examples, resumes after a cancel without redoing finished ones, and sorts by the score', async () => {
    let calls = 0;
    let cancelAfter = 3;
    const holder: { api?: Api } = {};
    const scorer: DetailScorer = async (...args) => {
      calls += 1;
      if (calls === cancelAfter) await holder.api!.cancelJob('score-1');
      return brightnessScorer(...args);
    };
    const { api } = setup(scorer);
    holder.api = api;
    const shas: string[] = [];
    for (let i = 0; i < 4; i++) shas.push(must(await api.addImage(new Uint8Array(await makePng(30 + i * 9)), `${i}.png`)).sha256);
    const ids = await worker!.client.call(
      'createExamples',
      shas.flatMap((sha, i) => [0, 1].map((k) => ({ imageSha256: sha, turns: [{ question: 'q', answer: 'x'.repeat(i + k + 1) }] }))),
    );
    expect(ids.ok).toBe(true);
    const first = await api.scoreDetail({ jobId: 'score-1' });
    expect(first).toMatchObject({ ok: true, value: { scored: 3, cancelled: true, remaining: 5 } });
    cancelAfter = -1;
    const second = await api.scoreDetail({});
    expect(second).toMatchObject({ ok: true, value: { scored: 5, cancelled: false, remaining: 0 } });
    expect(calls).toBe(8);
    expect(must(await api.stats()).scored).toBe(8);
    const scores = must(await api.listExamples({ sort: 'detail', order: 'desc' })).items.map((e) => e.detailScore!);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const ex = must(await api.getExample(1));
    const expected = await brightnessScorer(ex.image!.path, 'q', 'x', new AbortController().signal);
    expect(ex.detailFull).toBeCloseTo(expected.full, 12);
    expect(ex.detailScore).toBeCloseTo(expected.full - expected.globalOnly, 12);
  });

  it('fails scoring without an engine, and refuses writes on a damaged dataset while still reading it', async () => {
    const dir = tempDir();
    const a = setup(undefined, dir);
    expect(await a.api.scoreDetail({})).toMatchObject({ ok: false, error: { code: 'inference/model-missing' } });
    expect((await a.api.createExample({ imageSha256: null, turns: [{ question: 'q', answer: 'a' }] })).ok).toBe(true);
    await worker!.stop();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path.join(dir, 'dataset.sqlite'));
    db.unsafeMode(true);
    db.pragma('writable_schema = ON');
    db.prepare(
      "UPDATE sqlite_schema SET sql = 'CREATE INDEX examples_live_created ON examples(notes, id)' WHERE name = 'examples_live_created'",
    ).run();
    db.close();
    const b = setup(undefined, dir);
    const health = must(await b.api.health());
    expect(health).toMatchObject({ status: 'damaged', readOnly: true });
    expect(fs.existsSync(health.backupPath!)).toBe(true);
    expect(await b.api.stats()).toMatchObject({ ok: true, value: { examples: 1 } });
    const write = await b.api.createConversation({});
    expect(write).toMatchObject({ ok: false, error: { code: 'db/corrupt' } });
    expect(write.ok || write.error.message).toContain(health.backupPath);
  });

  it('fails a call in flight with process/crashed when the worker dies, and restarts it on the next call', async () => {
    const { api } = setup();
    const sha = must(await api.addImage(new Uint8Array(await makePng(4)), 'a.png')).sha256;
    expect(
      (
        await worker!.client.call(
          'createExamples',
          Array.from({ length: 3000 }, () => ({ imageSha256: sha, turns: [{ question: 'q', answer: 'a' }] })),
        )
      ).ok,
    ).toBe(true);
    const inFlight = api.exportDataset({ format: 'llava', outDir: tempDir() });
    worker!.supervisor.kill();
    expect(await inFlight).toMatchObject({ ok: false, error: { code: 'process/crashed' } });
    expect(worker!.supervisor.crashCount).toBe(1);
    expect(await api.stats()).toMatchObject({ ok: true, value: { examples: 3000 } });
  });
});
