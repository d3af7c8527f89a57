// Renderer: the inspector beside an answer — which record is shown, overlay toggles, the drawn region, and
// re-selection runs (another top-p / selector mode on the same image and question, answered again).
import type { Example, Message } from '$shared/ipc/dataset.ts';
import type { RegionCoverage } from '$shared/ipc/miningTypes.ts';
import type { AskRequest, InspectionRecord } from '$shared/ipc/inference.ts';
import { api } from '../api/client.ts';
import { toErrorView, type ErrorView } from '../components/errorView.ts';
import type { OverlayOptions } from '../../features/inspector/overlays.ts';
import { hottestToken, tokenRect, type Box } from '../../features/inspector/geometry.ts';
import { askStreaming, newRequestId } from './ChatStream.ts';
import { asInspection } from './ChatThread.ts';
import type { EvidenceRegion } from '../../features/inspector/evidence.ts';
import { exampleRegions, exampleRequest, type ExampleInspection } from './exampleInspection.ts';

/** One re-selection run. */
export interface ReselectRun {
  id: string;
  topP: number;
  mode: 'legacy' | 'single';
  answer: string;
  done: boolean;
  record: InspectionRecord | null;
}

/** The question an answer was given to, so it can be asked again with another selection. */
export type AnswerContext = Omit<AskRequest, 'requestId' | 'selector'>;

/** Inspector state (one per chat view). */
export class InspectorState {
  message: Message | null = $state(null);
  original: InspectionRecord | null = $state(null);
  /** The record drawn (the answer's own, or a re-selection run's). */
  record: InspectionRecord | null = $state(null);
  imageUrl: string | null = $state(null);
  context: AnswerContext | null = $state(null);
  overlays: OverlayOptions = $state({ grid: true, heatmap: true, router: false, heatValue: 'score', opacity: 0.45 });
  tool: 'pan' | 'region' = $state('pan');
  /** Regions drawn per answer message id (original-image pixels). */
  regions: Record<number, Box> = $state({});
  topP = $state(0.6);
  mode: 'legacy' | 'single' = $state('legacy');
  runs: ReselectRun[] = $state([]);
  running: string | null = $state(null);
  error: ErrorView | null = $state(null);
  /** Set when a dataset example is inspected (e.g. from the review queue's "dropped evidence" flag). */
  example: ExampleInspection | null = $state(null);
  private exampleTurn = 0;
  /** Whether regions are drawn with the kept/dropped state of the cells under them. */
  showEvidence = $state(true);

  /** Regions whose evidence coverage is shown: the example's, then the box drawn here (id 0). */
  get evidenceRegions(): EvidenceRegion[] {
    const own = this.example?.regions ?? [];
    const drawn = this.region;
    return drawn ? [...own, { id: 0, ...drawn }] : own;
  }

  /** The region drawn on the inspected answer, if any. */
  get region(): Box | null {
    return this.message ? (this.regions[this.message.id] ?? null) : null;
  }

  /** Shows answer `message` (with its image and the request it answered). */
  show(message: Message, imageUrl: string | null, context: AnswerContext | null, example: ExampleInspection | null = null): void {
    if (this.running) this.stop();
    this.example = example;
    this.message = message;
    this.original = asInspection(message.inspection);
    this.record = this.original;
    this.imageUrl = imageUrl;
    this.context = context;
    this.runs = [];
    this.error = null;
    if (this.original) {
      this.topP = this.original.selector.topP >= 1 ? 1 : this.original.selector.topP;
      this.mode = this.original.selector.mode;
    }
  }

  /** Closes the inspector. */
  close(): void {
    if (this.running) this.stop();
    this.message = null;
    this.record = null;
    this.original = null;
    this.example = null;
    this.exampleTurn++;
  }

  /**
   * Inspects dataset example `example`: asks its first question again on its image with the model folder and
   * selector setting its provenance records (greedy), and shows that answer with the example's regions.
   * `storedCoverage`: the review queue's coverage of its regions, to compare with.
   */
  async showExample(example: Example, storedCoverage: RegionCoverage[] | null = null): Promise<void> {
    const plan = exampleRequest(example);
    this.close();
    if (!plan) {
      this.error = { message: 'This example cannot be inspected: it has no image or no question.', code: undefined, hint: undefined };
      return;
    }
    const base: ExampleInspection = {
      exampleId: example.id,
      regions: exampleRegions(example),
      storedAnswer: example.turns[0]?.answer ?? '',
      storedCoverage,
      answer: '',
      selector: plan.selector,
      loading: true,
    };
    // $state wraps `base` in a proxy, so a plain counter tells whether another example was opened meanwhile.
    const turn = ++this.exampleTurn;
    this.example = base;
    this.imageUrl = plan.url;
    this.context = plan.context;
    this.error = null;
    try {
      const id = newRequestId('reselect');
      const r = await askStreaming('reselect', { ...plan.context, requestId: id, selector: plan.selector }, { ontext: () => undefined });
      if (turn !== this.exampleTurn) return;
      const message: Message = {
        id: -example.id,
        conversationId: 0,
        role: 'assistant',
        text: r.answer,
        images: [example.image!.sha256],
        inspection: r.inspection,
        perf: null,
        provenance: example.provenance,
        createdAt: Date.now(),
      };
      this.show(message, plan.url, plan.context, { ...base, answer: r.answer, loading: false });
    } catch (thrown) {
      if (turn !== this.exampleTurn) return;
      this.example = { ...base, loading: false };
      this.error = toErrorView(thrown, 'Could not ask the example again');
    }
  }

  /** Sets (or clears) the region of the inspected answer. */
  setRegion(box: Box | null): void {
    if (!this.message) return;
    const next = { ...this.regions };
    if (box) next[this.message.id] = box;
    else delete next[this.message.id];
    this.regions = next;
  }

  /** Promotes the selector's hottest local-token cell to the region. */
  regionFromHottest(): void {
    if (!this.record) return;
    const r = tokenRect(this.record, hottestToken(this.record));
    this.setRegion({ x1: r.x, y1: r.y, x2: r.x + r.width, y2: r.y + r.height });
  }

  /** Draws run `id`'s record (or the answer's own with null). */
  useRun(id: string | null): void {
    this.record = id === null ? this.original : (this.runs.find((r) => r.id === id)?.record ?? this.record);
  }

  /** Answers the same question again with the chosen top-p and selector mode. */
  async reselect(): Promise<void> {
    if (!this.context || this.running) return;
    const id = newRequestId('reselect');
    const run: ReselectRun = { id, topP: this.topP, mode: this.mode, answer: '', done: false, record: null };
    // Time order (the order they ran), after the original answer.
    this.runs = [...this.runs, run];
    this.running = id;
    this.error = null;
    const patch = (p: Partial<ReselectRun>): void => {
      this.runs = this.runs.map((r) => (r.id === id ? { ...r, ...p } : r));
    };
    try {
      const result = await askStreaming(
        'reselect',
        { ...this.context, requestId: id, selector: { topP: this.topP, mode: this.mode } },
        { ontext: (text) => patch({ answer: (this.runs.find((r) => r.id === id)?.answer ?? '') + text }) },
      );
      patch({ answer: result.answer, record: result.inspection, done: true });
      // Only when the inspector still shows the answer this run belongs to.
      if (this.runs.some((r) => r.id === id)) this.record = result.inspection;
    } catch (thrown) {
      this.runs = this.runs.filter((r) => r.id !== id || r.answer);
      patch({ done: true });
      this.error = toErrorView(thrown, 'Re-selection failed');
    } finally {
      if (this.running === id) this.running = null;
    }
  }

  /** Stops the running re-selection. */
  stop(): void {
    if (this.running) void api.inference.cancel(this.running).catch(() => false);
  }
}
