// Contract of the renderer-facing `dataset` service: the dataset methods of the database contract (declared once,
// in ipc/database.ts) plus what main adds: image URLs, the detail-score job and job cancel. Re-exports the DTOs.
import { z } from 'zod';
import { defineContract, event, method, type MethodSpec } from './contract.ts';
import { datasetMethods } from './database.ts';
import type { DatasetChange, JobProgress, ScoreSummary } from './datasetTypes.ts';
import { jobId, scoreOptionsSchema } from './datasetSchemas.ts';

export * from './datasetTypes.ts';
export * from './datasetSchemas.ts';

/** `method` with an explicit result type and inferred argument schema. */
function takes<R>(): <A extends z.ZodTuple>(args: A) => MethodSpec<A, R> {
  return (args) => method<R, typeof args>(args);
}

/** The methods main adds to the dataset methods. */
export const datasetHostMethods = {
  /** Scores detail need of examples with the inference engine; resumable (skips scored ones), emits `jobProgress`. Errors: `inference/*`. A cancel resolves with `cancelled: true`. */
  scoreDetail: takes<ScoreSummary>()(z.tuple([scoreOptionsSchema])),
  /** Cancels a running import, export or score job; false when no such job runs. */
  cancelJob: takes<boolean>()(z.tuple([jobId])),
};

/** The `dataset` service. Every method may also fail with `db/corrupt`, `db/read-only`, `db/disk-full`, `db/busy`, `process/crashed`, `process/timeout`. */
export const datasetContract = defineContract(
  'dataset',
  { ...datasetMethods, ...datasetHostMethods },
  {
    /** Progress of import, export and score jobs. */
    jobProgress: event<JobProgress>(),
    /** Rows changed (after writes), for list refreshes. */
    changed: event<DatasetChange>(),
  },
);

/** The `dataset` contract's type. */
export type DatasetContract = typeof datasetContract;
