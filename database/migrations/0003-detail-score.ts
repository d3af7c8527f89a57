// Migration 3: per-example detail score (full vs global-only answer log-likelihood), sortable (database worker).
import type { Migration } from './migration.ts';

/** Adds the detail-score columns and an index to sort and filter by it. */
export const migration0003: Migration = {
  version: 3,
  name: 'detail-score',
  up(db) {
    db.exec(`
      ALTER TABLE examples ADD COLUMN detail_full REAL;
      ALTER TABLE examples ADD COLUMN detail_global REAL;
      ALTER TABLE examples ADD COLUMN detail_score REAL;
      ALTER TABLE examples ADD COLUMN detail_scored_at INTEGER;
      CREATE INDEX examples_live_detail ON examples(deleted_at, detail_score);
    `);
  },
};
