// Running long dataset jobs (import, export, detail score) in Node: one id each, an AbortController to cancel it,
// and its progress published as the `dataset` contract's `jobProgress` event.
import { randomUUID } from 'node:crypto';
import type { EventSink } from '../../shared/ipc/contract.ts';
import type { DatasetContract, JobProgress } from '../../shared/ipc/dataset.ts';
import { AppFailure } from '../../shared/errors.ts';

/** Progress as a job reports it (the table adds the job id and kind). */
export type JobStep = Omit<JobProgress, 'jobId' | 'kind'>;

/** The jobs running in one dataset service. */
export class JobTable {
  private readonly jobs = new Map<string, AbortController>();
  private readonly emit: EventSink<DatasetContract>;

  constructor(emit: EventSink<DatasetContract>) {
    this.emit = emit;
  }

  /** Runs `work` as job `requested` (or a fresh id); a second job with a running id fails with `db/conflict`. */
  async run<T>(
    kind: JobProgress['kind'],
    requested: string | undefined,
    work: (signal: AbortSignal, progress: (p: unknown) => void) => Promise<T>,
  ): Promise<T> {
    const jobId = requested ?? randomUUID();
    if (this.jobs.has(jobId)) throw new AppFailure('db/conflict', `A job with id ${jobId} is already running.`);
    const controller = new AbortController();
    this.jobs.set(jobId, controller);
    try {
      return await work(controller.signal, (p) => this.emit('jobProgress', { jobId, kind, ...(p as JobStep) }));
    } finally {
      this.jobs.delete(jobId);
    }
  }

  /** Cancels job `jobId`; false when no such job runs. */
  cancel(jobId: string): boolean {
    const controller = this.jobs.get(jobId);
    controller?.abort();
    return controller !== undefined;
  }
}
