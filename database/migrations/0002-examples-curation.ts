// Migration 2: curated examples, their turns, tags, regions, and the FTS5 index over their text (database worker).
import type { Migration } from './migration.ts';

/** Examples with provenance, review status and soft delete; turns; tags; regions; full-text search. */
export const migration0002: Migration = {
  version: 2,
  name: 'examples-curation',
  up(db) {
    db.exec(`
      CREATE TABLE examples (
        id INTEGER PRIMARY KEY,
        external_id TEXT UNIQUE,
        image_sha256 TEXT REFERENCES images(sha256),
        system TEXT,
        source_message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
        answer_source TEXT NOT NULL CHECK (answer_source IN ('model', 'human-edited', 'human')),
        status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'needs-review', 'accepted', 'rejected')),
        notes TEXT NOT NULL DEFAULT '',
        provenance TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(provenance)),
        turn_count INTEGER NOT NULL CHECK (turn_count > 0),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        deleted_at INTEGER
      );
      CREATE INDEX examples_live_created ON examples(deleted_at, created_at);
      CREATE INDEX examples_live_updated ON examples(deleted_at, updated_at);
      CREATE INDEX examples_live_status ON examples(deleted_at, status, created_at);
      CREATE INDEX examples_by_image ON examples(image_sha256);
      CREATE INDEX examples_by_source ON examples(source_message_id);

      CREATE TABLE turns (
        example_id INTEGER NOT NULL REFERENCES examples(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        PRIMARY KEY (example_id, position)
      ) WITHOUT ROWID;

      CREATE TABLE tags (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE
      );
      CREATE TABLE example_tags (
        example_id INTEGER NOT NULL REFERENCES examples(id) ON DELETE CASCADE,
        tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
        PRIMARY KEY (example_id, tag_id)
      ) WITHOUT ROWID;
      CREATE INDEX example_tags_by_tag ON example_tags(tag_id, example_id);

      CREATE TABLE regions (
        id INTEGER PRIMARY KEY,
        example_id INTEGER NOT NULL REFERENCES examples(id) ON DELETE CASCADE,
        x1 REAL NOT NULL, y1 REAL NOT NULL, x2 REAL NOT NULL, y2 REAL NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        tokens TEXT CHECK (tokens IS NULL OR json_valid(tokens)),
        created_at INTEGER NOT NULL,
        CHECK (x2 > x1 AND y2 > y1 AND x1 >= 0 AND y1 >= 0)
      );
      CREATE INDEX regions_by_example ON regions(example_id);

      CREATE VIRTUAL TABLE examples_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');
    `);
  },
};
