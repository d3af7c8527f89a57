// Node-only: wires the dataset service into createServices — starts the database worker in `<dataDir>`, adapts the
// inference process's `score` method to the detail-score job, and registers the worker's shutdown.
import type { Supervisor } from '../shared/process/supervisor.ts';
import type { ScoreResult } from '../shared/ipc/inference.ts';
import { bind, type Binding } from '../shared/ipc/router.ts';
import { datasetContract } from '../shared/ipc/dataset.ts';
import { AppFailure } from '../shared/errors.ts';
import type { EventHub } from './eventHub.ts';
import { startDatasetWorker } from './datasetWorker.ts';
import type { DetailScorer } from './datasetScore.ts';
import { createDatasetService } from './services/datasetService.ts';

/** What the setup takes from createServices' deps. */
export interface DatasetSetupDeps {
  dataDir: string;
  defaultModelDir: string;
  inference: Supervisor;
  events: EventHub;
  /** Registry that serves stored images to the renderer (dataset.imageUrl). */
  images?: { urlFor(filePath: string): string };
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** The built worker entry, for bundled builds (electron-vite `?modulePath`). */
  databaseWorkerEntry?: string | URL;
}

/** A DetailScorer that asks the inference process (`score`) for full and global-only log-likelihoods. */
export function inferenceScorer(inference: Supervisor, modelDir: string, timeoutMs = 600_000): DetailScorer {
  return async (imagePath, question, answer, signal) => {
    const r = await inference.request<ScoreResult>(
      'score',
      { image: { path: imagePath }, question, answer, modelDir },
      { signal, timeoutMs },
    );
    if (!r.ok) throw new AppFailure(r.error.code, r.error.message);
    return { full: r.value.full, globalOnly: r.value.globalOnly };
  };
}

/** Starts the dataset worker and returns the `dataset` binding; pushes the worker's stop onto `disposers`. */
export function setupDataset(deps: DatasetSetupDeps, disposers: (() => Promise<void> | void)[]): Binding {
  const worker = startDatasetWorker({
    dataDir: deps.dataDir,
    ...(deps.databaseWorkerEntry ? { entry: deps.databaseWorkerEntry } : {}),
    ...(deps.log ? { log: deps.log } : {}),
  });
  disposers.push(() => worker.stop());
  const impl = createDatasetService({
    worker,
    emit: deps.events.sinkFor(datasetContract),
    scorer: inferenceScorer(deps.inference, deps.defaultModelDir),
    ...(deps.images ? { images: deps.images } : {}),
  });
  return bind(datasetContract, impl);
}
