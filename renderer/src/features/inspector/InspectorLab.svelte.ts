// Renderer: the inspector's counterfactual lab for one answer — cells selected on the image, interventions on the
// kept set (keep only / drop / add / global only) re-asked with the original answer's first token as the probe, the
// selector sweep and the occlusion job ("what this answer depended on"), each with progress and cancel.
import type { InspectionRecord, JobProgressEvent, OcclusionResult, SweepResult } from '$shared/ipc/inference.ts';
import { api, ApiError } from '../../lib/api/client.ts';
import { toErrorView, type ErrorView } from '../../lib/components/errorView.ts';
import { newRequestId } from '../../lib/state/ChatStream.ts';
import type { InspectorState } from '../../lib/state/InspectorState.svelte.ts';
import { keptIndices, tileTokens } from './geometry.ts';
import { keepSetFor, type InterventionKind } from './interventions.ts';

export { KIND_LABEL, keepSetFor, type InterventionKind } from './interventions.ts';

/** One re-ask with an explicit kept set. */
export interface Intervention {
  id: string;
  kind: InterventionKind;
  /** Cells selected when it ran (0 for global only). */
  selected: number;
  keep: number[];
  answer: string;
  record: InspectionRecord | null;
  /** Probability of the original answer's first token at this intervention's first step. */
  firstProb: number | null;
}

/** The original answer re-run at its own settings: its token ids and its first token's probability. */
export interface Reference {
  answer: string;
  tokenIds: number[];
  firstId: number | null;
  firstProb: number | null;
}

/** A running job. */
export interface LabJob {
  id: string;
  kind: 'reference' | 'intervention' | 'sweep' | 'occlusion';
  done: number;
  total: number;
  label: string;
}

/** Lab state (one per inspector). */
export class InspectorLab {
  selected: number[] = $state([]);
  unit: 'cell' | 'tile' = $state('tile');
  selecting = $state(false);
  reference: Reference | null = $state(null);
  interventions: Intervention[] = $state([]);
  sweep: SweepResult | null = $state(null);
  bothModes = $state(false);
  occlusion: OcclusionResult | null = $state(null);
  granularity: 'tile' | 'block' = $state('tile');
  job: LabJob | null = $state(null);
  error: ErrorView | null = $state(null);
  private messageId: number | null = null;
  private readonly inspector: InspectorState;

  constructor(inspector: InspectorState) {
    this.inspector = inspector;
  }

  /** Forgets everything when the inspector shows another answer (call from an effect on the message id). */
  follow(messageId: number | null): void {
    if (messageId === this.messageId) return;
    this.cancel();
    this.messageId = messageId;
    this.selected = [];
    this.reference = null;
    this.interventions = [];
    this.sweep = null;
    this.occlusion = null;
    this.error = null;
  }

  /** Toggles cell `j` (or its whole tile in tile mode). */
  toggle(j: number): void {
    const rec = this.inspector.original;
    if (!rec) return;
    const cells = this.unit === 'tile' ? tileTokens(rec, rec.selector.tile[j] ?? -1) : [j];
    const on = cells.every((c) => this.selected.includes(c));
    this.selected = on ? this.selected.filter((c) => !cells.includes(c)) : [...new Set([...this.selected, ...cells])].sort((a, b) => a - b);
  }

  /** Toggles every cell of tile `t`. */
  toggleTile(t: number): void {
    const rec = this.inspector.original;
    const first = rec ? tileTokens(rec, t)[0] : undefined;
    if (first === undefined) return;
    const unit = this.unit;
    this.unit = 'tile';
    this.toggle(first);
    this.unit = unit;
  }

  /** Adds `cells` (a drawn region; whole tiles in tile mode). */
  addCells(cells: readonly number[]): void {
    const rec = this.inspector.original;
    if (!rec) return;
    const all = this.unit === 'tile' ? [...new Set(cells.map((j) => rec.selector.tile[j]!))].flatMap((t) => tileTokens(rec, t)) : cells;
    this.selected = [...new Set([...this.selected, ...all])].sort((a, b) => a - b);
  }

  /** Re-runs the original answer's settings once: its token ids (for occlusion) and first-token probability. */
  async ensureReference(): Promise<Reference | null> {
    if (this.reference) return this.reference;
    const ctx = this.inspector.context;
    const rec = this.inspector.original;
    if (!ctx || !rec) return null;
    const selector = rec.selector.override ? { keep: keptIndices(rec) } : { topP: rec.selector.topP, mode: rec.selector.mode };
    const base = { ...ctx, selector, sampling: { ...rec.sampling } };
    const r = await this.run('reference', (requestId) => api.inference.reselect({ ...base, requestId }));
    const firstId = r.tokenIds[0] ?? null;
    let firstProb = firstId === null ? null : (r.inspection.firstStep?.top.find((t) => t.id === firstId)?.prob ?? null);
    if (firstId !== null && firstProb === null) {
      const again = await this.run('reference', (requestId) => api.inference.reselect({ ...base, requestId, probeTokenId: firstId }));
      firstProb = again.inspection.firstStep?.probe?.prob ?? null;
    }
    this.reference = { answer: r.answer, tokenIds: r.tokenIds, firstId, firstProb };
    return this.reference;
  }

  /** Re-asks with the kept set `kind` makes; the history keeps every run, newest last. */
  async intervene(kind: InterventionKind): Promise<void> {
    const ctx = this.inspector.context;
    const rec = this.inspector.original;
    if (!ctx || !rec || this.job) return;
    try {
      const ref = await this.ensureReference();
      const keep = keepSetFor(kind, keptIndices(rec), this.selected);
      const probe = ref?.firstId ?? undefined;
      const r = await this.run('intervention', (requestId) =>
        api.inference.reselect({ ...ctx, requestId, selector: { keep }, ...(probe === undefined ? {} : { probeTokenId: probe }) }),
      );
      const entry: Intervention = {
        id: r.requestId,
        kind,
        selected: kind === 'global' ? 0 : this.selected.length,
        keep,
        answer: r.answer,
        record: r.inspection,
        firstProb: r.inspection.firstStep?.probe?.prob ?? null,
      };
      this.interventions = [...this.interventions, entry];
      this.inspector.record = r.inspection;
    } catch (thrown) {
      this.fail(thrown, 'The intervention failed');
    }
  }

  /** The sweep across selector settings (the same code path as the dataset's stability signal). */
  async runSweep(): Promise<void> {
    const ctx = this.inspector.context;
    if (!ctx || this.job) return;
    try {
      const { image, question, history, systemPrompt, modelDir } = ctx;
      const maxNewTokens = this.inspector.original?.sampling.maxNewTokens;
      this.sweep = await this.run('sweep', (requestId) =>
        api.inference.sweep({ requestId, image, question, history, systemPrompt, modelDir, bothModes: this.bothModes, maxNewTokens }),
      );
    } catch (thrown) {
      this.fail(thrown, 'The sweep failed');
    }
  }

  /** The occlusion job over the original answer's kept cells. */
  async runOcclusion(): Promise<void> {
    const ctx = this.inspector.context;
    const rec = this.inspector.original;
    if (!ctx || !rec || this.job) return;
    try {
      const ref = await this.ensureReference();
      if (!ref || ref.tokenIds.length === 0) throw new Error('The answer has no tokens to explain');
      const { image, question, history, systemPrompt, modelDir } = ctx;
      const selector = rec.selector.override ? { keep: keptIndices(rec) } : { topP: rec.selector.topP, mode: rec.selector.mode };
      this.occlusion = await this.run('occlusion', (requestId) =>
        api.inference.occlusion({
          requestId,
          image,
          question,
          history,
          systemPrompt,
          modelDir,
          selector,
          tokenIds: ref.tokenIds,
          granularity: this.granularity,
        }),
      );
    } catch (thrown) {
      this.fail(thrown, 'Occlusion failed');
    }
  }

  /** Shows a failure; a job the user stopped is not one. */
  private fail(thrown: unknown, context: string): void {
    if (thrown instanceof ApiError && thrown.code === 'inference/cancelled') return;
    this.error = toErrorView(thrown, context);
  }

  /** Cancels the running job. */
  cancel(): void {
    if (this.job) void api.inference.cancel(this.job.id).catch(() => false);
  }

  /** Runs one call as the lab's job, following its progress events. */
  private async run<T>(kind: LabJob['kind'], call: (requestId: string) => Promise<T>): Promise<T> {
    const id = newRequestId(kind);
    this.job = { id, kind, done: 0, total: 0, label: kind === 'reference' ? 'answering again at the original setting' : 'starting' };
    const off = api.inference.onProgress((e: JobProgressEvent) => {
      if (e.requestId === id) this.job = { id, kind, done: e.done, total: e.total, label: e.label };
    });
    try {
      return await call(id);
    } finally {
      off();
      this.job = null;
    }
  }
}
