// Migration 1: the content-addressed image table, conversations and messages (database worker).
import type { Migration } from './migration.ts';

/** Images (by sha256), conversations, messages with inspection/perf JSON, and message attachments. */
export const migration0001: Migration = {
  version: 1,
  name: 'images-conversations',
  up(db) {
    db.exec(`
      CREATE TABLE images (
        sha256 TEXT PRIMARY KEY NOT NULL CHECK (length(sha256) = 64),
        width INTEGER NOT NULL CHECK (width > 0),
        height INTEGER NOT NULL CHECK (height > 0),
        format TEXT NOT NULL,
        ext TEXT NOT NULL,
        bytes INTEGER NOT NULL CHECK (bytes > 0),
        phash TEXT NOT NULL CHECK (length(phash) = 16),
        file_name TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX images_by_phash ON images(phash);

      CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX conversations_by_update ON conversations(updated_at);

      CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
        text TEXT NOT NULL,
        inspection TEXT CHECK (inspection IS NULL OR json_valid(inspection)),
        perf TEXT CHECK (perf IS NULL OR json_valid(perf)),
        provenance TEXT CHECK (provenance IS NULL OR json_valid(provenance)),
        created_at INTEGER NOT NULL
      );
      CREATE INDEX messages_by_conversation ON messages(conversation_id, id);

      CREATE TABLE message_images (
        message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        sha256 TEXT NOT NULL REFERENCES images(sha256),
        PRIMARY KEY (message_id, position)
      ) WITHOUT ROWID;
    `);
  },
};
