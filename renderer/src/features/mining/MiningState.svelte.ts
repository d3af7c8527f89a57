// Renderer: the mining page's state as a rune class — the jobs with their live progress, the ask-a-folder form's
// start/pause/resume/cancel, and the review queue sorted by "needs local detail" with its filters.
import type { MiningJob, MiningProgress, ReviewItem, ReviewQuery } from '$shared/ipc/mining.ts';
import { api } from '../../lib/api/client.ts';
import { describeError } from '../../lib/components/errorView.ts';

/** The form of a new ask-a-folder job. */
export interface AskFolderForm {
  folder: string;
  /** Model folder; '' = the shipped default; null until the form first shows (then the model chosen in Chat). */
  modelDir: string | null;
  questions: string;
  /** A questions file (one per line, or JSON with optional per-image lists), read by the app; '' = none. */
  questionsFile: string;
  topP: string;
  /** Selector mode; '' = the model's. */
  mode: '' | 'legacy' | 'single';
  maxNewTokens: string;
  signals: boolean;
}

/** The form as last typed: kept while the app runs, so leaving the Mining page and coming back keeps it. */
export const askFolderDraft: AskFolderForm = $state({
  folder: '',
  modelDir: null,
  questions: '',
  questionsFile: '',
  topP: '',
  mode: '',
  maxNewTokens: '',
  signals: true,
});

/** Splits typed questions: one per line, blanks dropped. */
export function parseQuestions(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((q) => q.trim())
    .filter((q) => q.length > 0);
}

/** "12 s", "3 min", "1 h 5 min". */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** Jobs, progress and the review queue. */
export class MiningState {
  jobs: MiningJob[] = $state([]);
  progress: Record<number, MiningProgress> = $state({});
  queue: ReviewItem[] = $state([]);
  queueTotal = $state(0);
  filter: Pick<ReviewQuery, 'jobId' | 'inDist' | 'evidenceDropped'> = $state({});
  error: string | null = $state(null);
  busy = $state(false);
  private unsubscribe: (() => void) | null = null;

  /** Follows progress events and loads jobs and the queue. */
  start(): () => void {
    this.unsubscribe = api.mining.onProgress((p) => {
      this.progress = { ...this.progress, [p.jobId]: p };
      const passEnded = p.phase === 'signals' && p.ended === true;
      if ((p.phase !== 'signals' && p.state !== 'running') || passEnded) void this.refresh();
    });
    void this.refresh();
    return () => this.unsubscribe?.();
  }

  async refresh(): Promise<void> {
    try {
      this.jobs = await api.mining.listMiningJobs();
      await this.loadQueue();
    } catch (thrown) {
      this.error = describeError(thrown);
    }
  }

  async loadQueue(): Promise<void> {
    const page = await api.mining.reviewQueue({ ...this.filter, limit: 200 });
    this.queue = page.items;
    this.queueTotal = page.total;
  }

  /** Starts a job from the form. */
  async askFolder(form: AskFolderForm): Promise<void> {
    const topP = form.topP.trim() ? Number(form.topP) : undefined;
    const maxNewTokens = form.maxNewTokens.trim() ? Number(form.maxNewTokens) : undefined;
    await this.act(() =>
      api.mining.askFolder({
        folder: form.folder.trim(),
        ...(form.modelDir ? { modelDir: form.modelDir } : {}),
        ...(form.questionsFile.trim() ? { questionsFile: form.questionsFile.trim() } : {}),
        settings: {
          questions: parseQuestions(form.questions),
          selector: { ...(topP === undefined ? {} : { topP }), ...(form.mode ? { mode: form.mode } : {}) },
          sampling: maxNewTokens === undefined ? {} : { maxNewTokens },
          signals: { detail: form.signals, stability: form.signals, embedding: form.signals },
        },
      }),
    );
  }

  pause(id: number): Promise<void> {
    return this.act(() => api.mining.pauseJob(id));
  }
  resume(id: number): Promise<void> {
    return this.act(() => api.mining.resumeJob(id));
  }
  cancel(id: number): Promise<void> {
    return this.act(() => api.mining.cancelJob(id));
  }
  /** Fills in the signals the job's examples miss (the signals pass). */
  computeSignals(id: number): Promise<void> {
    return this.act(() => api.mining.computeSignals(id));
  }

  /** Changes the queue filter and reloads it. */
  async setFilter(filter: Pick<ReviewQuery, 'jobId' | 'inDist' | 'evidenceDropped'>): Promise<void> {
    this.filter = filter;
    await this.act(() => this.loadQueue());
  }

  private async act(work: () => Promise<unknown>): Promise<void> {
    this.busy = true;
    this.error = null;
    try {
      await work();
      await this.refresh();
    } catch (thrown) {
      this.error = describeError(thrown);
    } finally {
      this.busy = false;
    }
  }
}
