// Renderer: review-status and answer-source names for display (the contract's unions, spelled for people).
import type { AnswerSource, ReviewStatus } from '$shared/ipc/dataset.ts';
import { REVIEW_STATUSES } from '$shared/ipc/datasetTypes.ts';

/** Review statuses in display order (the contract's list). */
export const STATUSES = REVIEW_STATUSES;

/** Display names of review statuses. */
export const STATUS_LABELS: Record<ReviewStatus, string> = {
  draft: 'Draft',
  'needs-review': 'Needs review',
  accepted: 'Accepted',
  rejected: 'Rejected',
};

/** Display names of answer sources. */
export const SOURCE_LABELS: Record<AnswerSource, string> = {
  model: 'Model-written',
  'human-edited': 'Human-edited',
  human: 'Human-written',
};

/** A detail score for display (3 decimals, "–" when unscored). */
export function formatScore(score: number | null): string {
  return score === null ? '–' : score.toFixed(3);
}
