// Renderer: one long dataset job (import or export) as a rune class — starts it with a fresh job id, follows its
// `jobProgress` events, cancels it through `dataset.cancelJob`, and keeps the result or a readable error.
import type { JobProgress } from '$shared/ipc/dataset.ts';
import { api, ApiError } from '../api/client.ts';
import { describeError } from '../components/errorView.ts';

/** What to tell the user after a failed job, by error code. */
const NEXT_STEPS: Record<string, string> = {
  'process/cancelled': 'The job was cancelled; start it again when you are ready.',
  'io/permission': 'Choose a folder you can write to (for example one inside your home folder).',
  'io/disk-full': 'Free some disk space or choose a folder on another disk, then try again.',
  'io/not-found': 'Check the path: it must be the absolute path of an existing file.',
  'dataset/path-escape': 'Use a plain absolute folder path without ".." segments.',
  'dataset/invalid': 'The file is not a LLaVA JSON or ShareGPT array; check its format or pick another file.',
  'ipc/bad-args': 'Check the fields of the form: a value is missing or out of range.',
  'db/read-only': 'The dataset is open read-only because it was damaged; see Settings for the backup.',
  'inference/model-missing': 'Scoring needs a model: check the model folder in Settings, then score again.',
};

/** The advice for codes of a whole family (e.g. every `inference/…` failure). */
const FAMILY_STEPS: Record<string, string> = {
  inference: 'The inference engine failed; check the model in Settings (it must load), then score again. Stored scores are kept.',
  process: 'A background process stopped; try again — it is restarted automatically.',
};

/** A job's state: idle → running (with progress) → done (result) or failed (error). */
export class DatasetJob<R> {
  running = $state(false);
  progress: JobProgress | null = $state(null);
  result: R | null = $state(null);
  error: string | null = $state(null);
  /** What the user can do about `error`. */
  hint: string | null = $state(null);
  private jobId: string | null = null;

  /** Runs `start(jobId)`, following its progress events until it settles. */
  async run(start: (jobId: string) => Promise<R>): Promise<void> {
    if (this.running) return;
    const jobId = crypto.randomUUID();
    this.jobId = jobId;
    this.running = true;
    this.progress = null;
    this.result = null;
    this.error = null;
    this.hint = null;
    const unsubscribe = api.dataset.onJobProgress((p) => {
      if (p.jobId === jobId) this.progress = p;
    });
    try {
      this.result = await start(jobId);
    } catch (thrown) {
      this.error = describeError(thrown);
      const code = thrown instanceof ApiError ? thrown.code : '';
      this.hint =
        NEXT_STEPS[code] ?? FAMILY_STEPS[code.split('/')[0] ?? ''] ?? 'Check the message above, adjust the settings and try again.';
    } finally {
      unsubscribe();
      this.running = false;
      this.jobId = null;
    }
  }

  /** Asks the service to stop the running job (it then fails with `process/cancelled`). */
  async cancel(): Promise<void> {
    if (this.jobId) await api.dataset.cancelJob(this.jobId).catch(() => false);
  }

  /** Forgets the last result or error. */
  clear(): void {
    this.result = null;
    this.error = null;
    this.hint = null;
    this.progress = null;
  }
}
