// Implements the `dataset` contract over the database worker (and the inference engine for detail scores);
// shared by Electron main, the CLI and tests. Publishes `jobProgress` and `changed` events.
import { randomUUID } from 'node:crypto';
import type { EventSink, ServiceImpl } from '../../shared/ipc/contract.ts';
import type { DatasetChange, DatasetContract, JobProgress } from '../../shared/ipc/dataset.ts';
import { AppFailure, type Result } from '../../shared/errors.ts';
import type { CallOptions } from '../../../database/client.ts';
import type { DbArgs, DbMethod, DbResult } from '../../../database/contract.ts';
import type { DatasetWorker } from '../datasetWorker.ts';
import { runScoreJob, type DetailScorer } from '../datasetScore.ts';

/** What the dataset service needs from its host. */
export interface DatasetServiceDeps {
  worker: DatasetWorker;
  /** Publishes the contract's events. */
  emit: EventSink<DatasetContract>;
  /** The engine's detail scorer; without it `scoreDetail` fails with `inference/model-missing`. */
  scorer?: DetailScorer;
  /** Time limit of import/export jobs (ms, default 1 hour). */
  jobTimeoutMs?: number;
  /** The app's image registry (serves stored images to the renderer); without it `imageUrl` fails with `internal`. */
  images?: { urlFor(filePath: string): string };
}

/** Builds the `dataset` service. */
export function createDatasetService(deps: DatasetServiceDeps): ServiceImpl<DatasetContract> {
  const jobs = new Map<string, AbortController>();
  const jobTimeoutMs = deps.jobTimeoutMs ?? 3_600_000;

  async function call<K extends DbMethod>(method: K, args: DbArgs<K>, options: CallOptions = {}): Promise<DbResult<K>> {
    const result: Result<DbResult<K>> = await deps.worker.client.callWith(method, args, options);
    if (!result.ok) throw new AppFailure(result.error.code, result.error.message, result.error.details);
    return result.value;
  }

  function changed(entity: DatasetChange['entity'], ids: number[]): void {
    deps.emit('changed', { entity, ids });
  }

  async function job<T>(
    kind: JobProgress['kind'],
    requested: string | undefined,
    run: (signal: AbortSignal, progress: (p: Omit<JobProgress, 'jobId' | 'kind'>) => void) => Promise<T>,
  ): Promise<T> {
    const jobId = requested ?? randomUUID();
    if (jobs.has(jobId)) throw new AppFailure('db/conflict', `A job with id ${jobId} is already running.`);
    const controller = new AbortController();
    jobs.set(jobId, controller);
    try {
      return await run(controller.signal, (p) => deps.emit('jobProgress', { jobId, kind, ...p }));
    } finally {
      jobs.delete(jobId);
    }
  }

  return {
    health: () => call('health', []),
    addImage: async (bytes, fileName) => {
      const image = await call('addImage', [bytes, fileName || null]);
      changed('images', []);
      return image;
    },
    addImageFile: (file) => call('addImageFile', [file]),
    getImage: (sha256) => call('getImage', [sha256]),
    imageUrl: async (sha256) => {
      if (!deps.images) throw new AppFailure('internal', 'No image registry: stored images cannot be displayed here.');
      return deps.images.urlFor((await call('getImage', [sha256])).path);
    },
    createConversation: async ({ title }) => {
      const conversation = await call('createConversation', [title?.trim() || 'New chat']);
      changed('conversations', [conversation.id]);
      return conversation;
    },
    listConversations: ({ search, offset, limit }) => call('listConversations', [search, offset ?? 0, limit ?? 50]),
    getConversation: (id) => call('getConversation', [id]),
    renameConversation: async (id, title) => {
      const conversation = await call('renameConversation', [id, title]);
      changed('conversations', [id]);
      return conversation;
    },
    deleteConversation: async (id) => {
      const result = await call('deleteConversation', [id]);
      changed('conversations', [id]);
      return result;
    },
    appendMessage: async (id, message) => {
      const saved = await call('appendMessage', [id, message]);
      changed('messages', [saved.id]);
      return saved;
    },
    saveExampleFromMessage: async (input) => {
      const example = await call('saveExampleFromMessage', [input]);
      changed('examples', [example.id]);
      return example;
    },
    createExample: async (input) => {
      const example = await call('createExample', [input]);
      changed('examples', [example.id]);
      return example;
    },
    getExample: (id) => call('getExample', [id]),
    updateExample: async (id, patch) => {
      const example = await call('updateExample', [id, patch]);
      changed('examples', [id]);
      return example;
    },
    deleteExamples: async (ids) => {
      const result = await call('setDeleted', [ids, true]);
      changed('examples', ids);
      return result;
    },
    restoreExamples: async (ids) => {
      const result = await call('setDeleted', [ids, false]);
      changed('examples', ids);
      return result;
    },
    listExamples: (query) => call('listExamples', [query]),
    bulkUpdate: async (ids, change) => {
      const result = await call('bulkUpdate', [ids, change]);
      changed('examples', ids);
      return result;
    },
    findDuplicates: ({ maxDistance }) => call('findDuplicates', [maxDistance ?? 6], { timeoutMs: 120_000 }),
    stats: () => call('stats', []),
    addRegion: async (exampleId, region) => {
      const saved = await call('addRegion', [exampleId, region]);
      changed('examples', [exampleId]);
      return saved;
    },
    updateRegion: async (id, patch) => {
      const saved = await call('updateRegion', [id, patch]);
      changed('examples', [saved.exampleId]);
      return saved;
    },
    deleteRegion: async (id) => {
      const result = await call('deleteRegion', [id]);
      changed('examples', []);
      return result;
    },
    listTags: () => call('listTags', []),
    setExampleTags: async (id, tags) => {
      const saved = await call('setExampleTags', [id, tags]);
      changed('examples', [id]);
      changed('tags', []);
      return saved;
    },
    exportDataset: (options) =>
      job('export', options.jobId, (signal, progress) =>
        call('exportDataset', [options], { signal, timeoutMs: jobTimeoutMs, onProgress: progress }),
      ),
    importDataset: (options) =>
      job('import', options.jobId, async (signal, progress) => {
        const summary = await call('importDataset', [options], { signal, timeoutMs: jobTimeoutMs, onProgress: progress });
        changed('examples', []);
        return summary;
      }),
    scoreDetail: (options) =>
      job('score', options.jobId, async (signal, progress) => {
        if (!deps.scorer)
          throw new AppFailure('inference/model-missing', 'Detail scores need the inference engine, which is not available.');
        const summary = await runScoreJob(deps.worker.client, deps.scorer, options, signal, progress);
        changed('examples', []);
        return summary;
      }),
    cancelJob: (jobId) => {
      const controller = jobs.get(jobId);
      controller?.abort();
      return controller !== undefined;
    },
  };
}
