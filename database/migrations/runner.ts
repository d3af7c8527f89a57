// Applies append-only migrations in order, each in its own transaction; refuses databases from the future (database worker).
import type Database from 'better-sqlite3';
import type { Migration } from './migration.ts';
import { migration0001 } from './0001-images-conversations.ts';
import { migration0002 } from './0002-examples-curation.ts';
import { migration0003 } from './0003-detail-score.ts';
import { migration0004 } from './0004-status-sort-indexes.ts';
import { migration0005 } from './0005-reserved.ts';
import { migration0006 } from './0006-mining.ts';
import { AppFailure } from '../../electron/shared/errors.ts';

/** Every migration, in order. Append only: never edit or reorder a shipped one. */
export const MIGRATIONS: readonly Migration[] = [migration0001, migration0002, migration0003, migration0004, migration0005, migration0006];

/** The schema version this build writes. */
export const LATEST_VERSION = MIGRATIONS.length;

/** The database's schema version (PRAGMA user_version). */
export function schemaVersion(db: Database.Database): number {
  return Number(db.pragma('user_version', { simple: true }));
}

/**
 * Brings `db` up to `target` (default: latest). Throws `db/future-version` when the file was written by a
 * newer build, so an old app never touches a schema it does not understand.
 */
export function migrate(
  db: Database.Database,
  target: number = LATEST_VERSION,
  migrations: readonly Migration[] = MIGRATIONS,
): { from: number; to: number } {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
  const from = schemaVersion(db);
  const latest = migrations.length;
  if (from > latest) {
    throw new AppFailure(
      'db/future-version',
      `This dataset was written by a newer version of the app (schema ${from}; this app knows up to ${latest}). Update the app to open it.`,
      { found: from, latest },
    );
  }
  for (const m of migrations) {
    if (m.version <= from || m.version > target) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return { from, to: Math.max(from, Math.min(target, latest)) };
}
