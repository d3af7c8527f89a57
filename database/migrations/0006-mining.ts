// Migration 6: hard-example mining — ask-a-folder jobs, their image × question pairs (each done exactly once),
// per-example hardness signals, and per-image embeddings for similarity search (database worker).
import type { Migration } from './migration.ts';

/** Jobs, pairs keyed (job, image sha256, question), signals per example, embeddings per (image, model). */
export const migration0006: Migration = {
  version: 6,
  name: 'mining',
  up(db) {
    db.exec(`
      CREATE TABLE mining_jobs (
        id INTEGER PRIMARY KEY,
        folder TEXT NOT NULL,
        model_dir TEXT NOT NULL,
        manifest_sha256 TEXT,
        settings TEXT NOT NULL CHECK (json_valid(settings)),
        state TEXT NOT NULL CHECK (state IN ('scanning', 'ready', 'running', 'paused', 'cancelled', 'done')),
        images INTEGER NOT NULL DEFAULT 0,
        skipped TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(skipped)),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE mining_pairs (
        job_id INTEGER NOT NULL REFERENCES mining_jobs(id) ON DELETE CASCADE,
        image_sha256 TEXT NOT NULL REFERENCES images(sha256),
        question TEXT NOT NULL,
        file TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
        example_id INTEGER REFERENCES examples(id) ON DELETE SET NULL,
        error TEXT,
        done_at INTEGER,
        PRIMARY KEY (job_id, image_sha256, question)
      ) WITHOUT ROWID;
      CREATE INDEX mining_pairs_by_state ON mining_pairs(job_id, state, image_sha256);
      CREATE UNIQUE INDEX mining_pairs_by_example ON mining_pairs(example_id) WHERE example_id IS NOT NULL;

      CREATE TABLE example_signals (
        example_id INTEGER PRIMARY KEY REFERENCES examples(id) ON DELETE CASCADE,
        instability REAL,
        diverge_at TEXT CHECK (diverge_at IS NULL OR json_valid(diverge_at)),
        margin REAL,
        ood_score REAL,
        in_dist INTEGER,
        needs_detail REAL NOT NULL,
        missing TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(missing)),
        selection TEXT CHECK (selection IS NULL OR json_valid(selection)),
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX example_signals_by_need ON example_signals(needs_detail);

      CREATE TABLE image_embeddings (
        image_sha256 TEXT NOT NULL REFERENCES images(sha256),
        model_key TEXT NOT NULL,
        dim INTEGER NOT NULL CHECK (dim > 0),
        vector BLOB NOT NULL CHECK (length(vector) = dim * 4),
        created_at INTEGER NOT NULL,
        PRIMARY KEY (image_sha256, model_key)
      ) WITHOUT ROWID;
    `);
  },
};
