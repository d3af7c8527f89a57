// Enumerations the database layer needs at run time (database may import only types from electron/shared,
// so the lists are restated here and type-checked against the contract's unions).
import type { AnswerSource, ReviewStatus } from '../electron/shared/ipc/dataset.ts';

/** Review states, checked against the contract's union. */
export const REVIEW_STATUSES = ['draft', 'needs-review', 'accepted', 'rejected'] as const satisfies readonly ReviewStatus[];

/** Answer sources, checked against the contract's union. */
export const ANSWER_SOURCES = ['model', 'human-edited', 'human'] as const satisfies readonly AnswerSource[];
