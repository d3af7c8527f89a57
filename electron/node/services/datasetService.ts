// Implements the `dataset` contract (Node: Electron main, the CLI and tests): the dataset methods are forwarded to the
// database worker unchanged (declared once in ipc/database.ts, implemented once by its reader/writer); main adds
// jobs (progress, cancel, long timeouts) and the detail score, and publishes `changed` events after writes. Stored
// images are shown at `/image/sha/<sha256>` (storedImages.ts), with no URL lookup.
import type { EventSink, ServiceImpl } from '../../shared/ipc/contract.ts';
import type { DatasetChange, DatasetContract } from '../../shared/ipc/dataset.ts';
import { datasetMethods } from '../../shared/ipc/database.ts';
import { AppFailure, unwrap, type Result } from '../../shared/errors.ts';
import type { RequestOptions } from '../../shared/process/supervisor.ts';
import type { DatasetWorker } from '../datasetWorker.ts';
import { runScoreJob, type DetailScorer } from '../datasetScore.ts';
import { JobTable } from './jobTable.ts';

/** What the dataset service needs from its host. */
export interface DatasetServiceDeps {
  worker: DatasetWorker;
  /** Publishes the contract's events. */
  emit: EventSink<DatasetContract>;
  /** The engine's detail scorer; without it `scoreDetail` fails with `inference/model-missing`. */
  scorer?: DetailScorer;
  /** Time limit of import/export jobs (ms, default 1 hour). */
  jobTimeoutMs?: number;
}

type DatasetMethod = keyof typeof datasetMethods & string;
type Change = (args: unknown[], value: unknown) => DatasetChange[];

const idOf = (value: unknown): number[] => [(value as { id: number }).id];
const arg0 = (args: unknown[]): number[] => [args[0] as number];

/** Which rows a successful write changed (the `changed` events it publishes); reads publish nothing. */
const CHANGES: Partial<Record<DatasetMethod, Change>> = {
  addImage: () => [{ entity: 'images', ids: [] }],
  createConversation: (_a, v) => [{ entity: 'conversations', ids: idOf(v) }],
  renameConversation: (a) => [{ entity: 'conversations', ids: arg0(a) }],
  deleteConversation: (a) => [{ entity: 'conversations', ids: arg0(a) }],
  appendMessage: (_a, v) => [{ entity: 'messages', ids: idOf(v) }],
  saveExampleFromMessage: (_a, v) => [{ entity: 'examples', ids: idOf(v) }],
  createExample: (_a, v) => [{ entity: 'examples', ids: idOf(v) }],
  updateExample: (a) => [{ entity: 'examples', ids: arg0(a) }],
  deleteExamples: (a) => [{ entity: 'examples', ids: a[0] as number[] }],
  restoreExamples: (a) => [{ entity: 'examples', ids: a[0] as number[] }],
  bulkUpdate: (a) => [{ entity: 'examples', ids: a[0] as number[] }],
  addRegion: (a) => [{ entity: 'examples', ids: arg0(a) }],
  updateRegion: (_a, v) => [{ entity: 'examples', ids: [(v as { exampleId: number }).exampleId] }],
  deleteRegion: () => [{ entity: 'examples', ids: [] }],
  setExampleTags: (a) => [
    { entity: 'examples', ids: arg0(a) },
    { entity: 'tags', ids: [] },
  ],
  importDataset: () => [{ entity: 'examples', ids: [] }],
};

/** Longer time limits of slow reads. */
const TIMEOUTS: Partial<Record<DatasetMethod, number>> = { findDuplicates: 120_000 };

/** Builds the `dataset` service. */
export function createDatasetService(deps: DatasetServiceDeps): ServiceImpl<DatasetContract> {
  const jobs = new JobTable(deps.emit);
  const jobTimeoutMs = deps.jobTimeoutMs ?? 3_600_000;

  async function forward(method: DatasetMethod, args: unknown[], options: RequestOptions = {}): Promise<unknown> {
    const timeoutMs = TIMEOUTS[method];
    const client = deps.worker.client as unknown as { callWith(m: string, a: unknown[], o: RequestOptions): Promise<Result<unknown>> };
    const value: unknown = unwrap(await client.callWith(method, args, { ...(timeoutMs ? { timeoutMs } : {}), ...options }));
    for (const change of CHANGES[method]?.(args, value) ?? []) deps.emit('changed', change);
    return value;
  }

  const forwarded = Object.fromEntries(
    Object.keys(datasetMethods).map((name) => [name, (...args: unknown[]) => forward(name as DatasetMethod, args)]),
  ) as unknown as Pick<ServiceImpl<DatasetContract>, DatasetMethod>;

  return {
    ...forwarded,
    exportDataset: (options) =>
      jobs.run('export', options.jobId, (signal, onEvent) =>
        forward('exportDataset', [options], { signal, timeoutMs: jobTimeoutMs, onEvent }),
      ),
    importDataset: (options) =>
      jobs.run('import', options.jobId, (signal, onEvent) =>
        forward('importDataset', [options], { signal, timeoutMs: jobTimeoutMs, onEvent }),
      ),
    scoreDetail: (options) =>
      jobs.run('score', options.jobId, async (signal, onEvent) => {
        if (!deps.scorer)
          throw new AppFailure('inference/model-missing', 'Detail scores need the inference engine, which is not available.');
        const summary = await runScoreJob(deps.worker.client, deps.scorer, options, signal, onEvent);
        deps.emit('changed', { entity: 'examples', ids: [] });
        return summary;
      }),
    cancelJob: (jobId) => jobs.cancel(jobId),
  } as ServiceImpl<DatasetContract>;
}
