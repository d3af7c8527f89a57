// Renderer: what it takes to inspect a dataset example — its image, its first question asked again with the model
// folder, selector setting and greedy decoding its provenance records (a mined example keeps only a summary of its
// inspection, so the full record is rebuilt by asking again), and its regions for evidence coverage.
import type { Example } from '../../../../electron/shared/ipc/dataset.ts';
import type { SelectorOverride } from '../../../../electron/shared/ipc/inference.ts';
import type { RegionCoverage } from '../../../../electron/shared/ipc/miningTypes.ts';
import { storedImageUrl } from '../../../../electron/shared/ipc/images.ts';
import type { EvidenceRegion } from '../../features/inspector/evidence.ts';
import type { AnswerContext } from './InspectorState.svelte.ts';

/** An example being inspected. */
export interface ExampleInspection {
  exampleId: number;
  regions: EvidenceRegion[];
  /** The example's stored answer (the one the review queue shows). */
  storedAnswer: string;
  /** Coverage the review queue computed from the selection stored when the example was mined, if known. */
  storedCoverage: RegionCoverage[] | null;
  /** The answer asked again for the inspector ('' while asking). */
  answer: string;
  selector: Pick<SelectorOverride, 'topP' | 'mode'>;
  loading: boolean;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The request, image URL and selector setting to inspect `example` with; null when it has no image or question. */
export function exampleRequest(
  example: Example,
): { url: string; context: AnswerContext; selector: Pick<SelectorOverride, 'topP' | 'mode'> } | null {
  const turn = example.turns[0];
  if (!example.image || !turn) return null;
  const p = example.provenance ?? {};
  const sel = (p.selector ?? {}) as Record<string, unknown>;
  const gen = (p.generation ?? {}) as Record<string, unknown>;
  const topP = num(sel.topP);
  const mode = sel.mode === 'legacy' || sel.mode === 'single' ? sel.mode : undefined;
  const maxNewTokens = num(gen.maxNewTokens);
  return {
    url: storedImageUrl(example.image.sha256),
    context: {
      image: { hash: example.image.sha256 },
      question: turn.question,
      ...(typeof p.modelDir === 'string' && p.modelDir ? { modelDir: p.modelDir } : {}),
      sampling: { temperature: 0, ...(maxNewTokens ? { maxNewTokens: Math.min(8192, Math.max(1, Math.round(maxNewTokens))) } : {}) },
    },
    selector: { ...(topP !== undefined && topP > 0 && topP <= 1 ? { topP } : {}), ...(mode ? { mode } : {}) },
  };
}

/** The example's regions as evidence regions (original-image pixels, with their notes). */
export function exampleRegions(example: Example): EvidenceRegion[] {
  return example.regions.map((r) => ({ id: r.id, x1: r.x1, y1: r.y1, x2: r.x2, y2: r.y2, note: r.note }));
}
