// Migration 4: indexes so a status-filtered list sorted by update time or detail score walks an index (database worker).
import type { Migration } from './migration.ts';

/** (deleted_at, status, updated_at) and (deleted_at, status, detail_score): deep pages of filtered lists stay index-only. */
export const migration0004: Migration = {
  version: 4,
  name: 'status-sort-indexes',
  up(db) {
    db.exec(`
      CREATE INDEX examples_live_status_updated ON examples(deleted_at, status, updated_at);
      CREATE INDEX examples_live_status_detail ON examples(deleted_at, status, detail_score);
    `);
  },
};
