// Integration: the detail-score job against the real inference process (slime-tiny fixture model): every example gets
// full and global-only answer log-likelihoods equal to a direct `score` call; a cancel stops it and a rerun resumes.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Supervisor } from '../../electron/shared/process/supervisor.ts';
import type { ScoreResult } from '../../electron/shared/ipc/inference.ts';
import { forkSpawner } from '../../electron/node/forkChild.ts';
import { INFERENCE_ENTRY } from '../../electron/node/paths.ts';
import { startDatasetWorker } from '../../electron/node/datasetWorker.ts';
import { ContractClient } from '../../electron/shared/process/client.ts';
import { inferenceProcessContract } from '../../electron/shared/ipc/inferenceProcess.ts';
import { inferenceScorer } from '../../electron/node/datasetSetup.ts';
import { createDatasetService } from '../../electron/node/services/datasetService.ts';
import type { JobProgress } from '../../electron/shared/ipc/dataset.ts';
import { makePng, tempDir } from '../database/fixtures.ts';

const MODEL = path.resolve(import.meta.dirname, '../fixtures/slime-tiny');
const inference = new Supervisor({ spawn: forkSpawner(INFERENCE_ENTRY), name: 'inference', defaultTimeoutMs: 120_000 });
const worker = startDatasetWorker({ dataDir: tempDir('slime-score-') });
afterAll(async () => {
  await worker.stop();
  await inference.stop();
});

describe('detail score with the real engine', () => {
  it('scores, cancels and resumes; stored values match the engine', async () => {
    const progress: JobProgress[] = [];
    // Cancels from the progress event of the second example: the job stops before the third, deterministically.
    const onProgress = (p: JobProgress): void => {
      progress.push(p);
      if (p.jobId === 'tiny' && p.done === 2) void service.cancelJob('tiny');
    };
    const service = createDatasetService({
      worker,
      scorer: inferenceScorer(new ContractClient(inferenceProcessContract, inference), MODEL),
      emit: (name, payload) => name === 'jobProgress' && onProgress(payload as JobProgress),
    });
    const shas: string[] = [];
    for (let i = 0; i < 3; i++) shas.push((await service.addImage(new Uint8Array(await makePng(50 + i, 96, 64)), `s${i}.png`)).sha256);
    const answers = ['It is red.', 'A square in the corner.', 'Blue and green stripes.', 'Nothing.', 'Two squares.'];
    for (const [i, answer] of answers.entries())
      await service.createExample({ imageSha256: shas[i % 3]!, turns: [{ question: 'What is in the picture?', answer }] });

    const partial = await service.scoreDetail({ jobId: 'tiny' });
    expect(partial).toMatchObject({ scored: 2, cancelled: true, remaining: 3 });
    expect(progress.filter((p) => p.jobId === 'tiny').map((p) => p.done)).toEqual([0, 1, 2]);

    const rest = await service.scoreDetail({});
    expect(rest).toMatchObject({ scored: 3, failed: [], cancelled: false, remaining: 0 });

    const page = await service.listExamples({ sort: 'detail', order: 'desc' });
    expect(page.items.every((e) => e.detailScore !== null)).toBe(true);
    const one = await service.getExample(page.items[0]!.id);
    const direct = await inference.request<ScoreResult>('score', {
      image: { path: one.image!.path },
      question: one.turns[0]!.question,
      answer: one.turns[0]!.answer,
      modelDir: MODEL,
    });
    expect(direct.ok).toBe(true);
    if (!direct.ok) return;
    expect(one.detailFull).toBeCloseTo(direct.value.full, 5);
    expect(one.detailGlobalOnly).toBeCloseTo(direct.value.globalOnly, 5);
    expect(one.detailScore).toBeCloseTo(direct.value.full - direct.value.globalOnly, 5);
    expect(direct.value.full).toBeLessThan(0);
  }, 300_000);
});
