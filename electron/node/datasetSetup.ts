// Node-only: wires the dataset service into createServices — starts the database worker in `<dataDir>`, adapts the
// inference process's `score` method to the detail-score job, and registers the worker's shutdown.
import type { ContractClient } from '../shared/process/client.ts';
import type { InferenceProcessContract } from '../shared/ipc/inferenceProcess.ts';
import { bind, type Binding } from '../shared/ipc/router.ts';
import { datasetContract } from '../shared/ipc/dataset.ts';
import { unwrapInference } from '../shared/errors.ts';
import type { EventHub } from './eventHub.ts';
import { startDatasetWorker, type DatasetWorker } from './datasetWorker.ts';
import type { DetailScorer } from './datasetScore.ts';
import { createDatasetService } from './services/datasetService.ts';

/** What the setup takes from createServices' deps. */
export interface DatasetSetupDeps {
  dataDir: string;
  defaultModelDir: string;
  inference: ContractClient<InferenceProcessContract>;
  events: EventHub;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** The built worker entry, for bundled builds (electron-vite `?modulePath`). */
  databaseWorkerEntry?: string | URL;
}

/** A DetailScorer that asks the inference process (`score`) for full and global-only log-likelihoods. */
export function inferenceScorer(inference: ContractClient<InferenceProcessContract>, modelDir: string, timeoutMs = 600_000): DetailScorer {
  return async (imagePath, question, answer, signal) => {
    const request = { image: { path: imagePath }, question, answer, modelDir };
    const r = unwrapInference(await inference.callWith('score', [request], { signal, timeoutMs }));
    return { full: r.full, globalOnly: r.globalOnly };
  };
}

/** The dataset service's binding and the worker it runs on. */
export interface DatasetSetup {
  binding: Binding;
  worker: DatasetWorker;
}

/** Starts the dataset worker and returns the `dataset` binding; pushes the worker's stop onto `disposers`. */
export function setupDataset(deps: DatasetSetupDeps, disposers: (() => Promise<void> | void)[]): DatasetSetup {
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
  });
  return { binding: bind(datasetContract, impl), worker };
}
