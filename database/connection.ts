// Opens the dataset's SQLite file with its pragmas, checks integrity, keeps a backup of a damaged file and
// falls back to read-only, then migrates (database worker; the only module that constructs a connection).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { DatasetHealth } from '../electron/shared/ipc/dataset.ts';
import { AppFailure } from '../electron/shared/errors.ts';
import { classify } from './errors.ts';
import { LATEST_VERSION, migrate, schemaVersion } from './migrations/runner.ts';

/** An open dataset. */
export interface Connection {
  db: Database.Database;
  health: DatasetHealth;
}

/**
 * Pragmas of every connection.
 * - WAL: readers never block the writer, and a crash leaves the main file intact (commits live in the WAL until checkpointed).
 * - synchronous=NORMAL: in WAL mode a transaction is durable against process crashes (SIGKILL, app crash) as soon as
 *   COMMIT returns, and the database can never be corrupted; only a power loss or OS crash can roll back the last few
 *   commits. FULL would fsync on every commit (10–100× slower bulk curation) to guard only against power loss.
 * - foreign_keys=ON (SQLite's default is off), busy_timeout so a checkpoint or a second process waits instead of failing.
 */
function applyPragmas(db: Database.Database, readOnly: boolean): void {
  if (!readOnly) db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('temp_store = MEMORY');
  db.pragma('cache_size = -64000');
}

function integrityProblems(db: Database.Database): string[] {
  const rows = db.pragma('integrity_check(20)') as { integrity_check: string }[];
  return rows.map((r) => r.integrity_check).filter((m) => m !== 'ok');
}

/** Copies the damaged file (and its WAL) next to it; returns the backup's path. */
function keepBackup(file: string): string {
  const backup = `${file}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  fs.copyFileSync(file, backup);
  if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, `${backup}-wal`);
  return backup;
}

function healthOf(db: Database.Database, file: string, readOnly: boolean, backupPath: string | null, problems: string[]): DatasetHealth {
  return {
    path: file,
    schemaVersion: schemaVersion(db),
    status: backupPath ? 'damaged' : 'ok',
    readOnly,
    backupPath,
    problems,
    journalMode: String(db.pragma('journal_mode', { simple: true })),
    synchronous: ['off', 'normal', 'full', 'extra'][Number(db.pragma('synchronous', { simple: true }))] ?? 'unknown',
  };
}

function openRaw(file: string, readOnly: boolean): Database.Database {
  try {
    const db = new Database(file, { readonly: readOnly, fileMustExist: readOnly });
    applyPragmas(db, readOnly);
    return db;
  } catch (thrown) {
    throw classify(thrown);
  }
}

/**
 * Opens (creating when missing) the dataset at `file`. A file that fails integrity_check is copied aside and opened
 * read-only with status 'damaged'. Errors: `db/future-version`, `db/corrupt` (not a database at all), `db/read-only`.
 */
export function openDatabase(file: string, options: { readOnly?: boolean } = {}): Connection {
  if (!options.readOnly) {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
    } catch (thrown) {
      throw classify(thrown);
    }
  }
  const db = openRaw(file, options.readOnly ?? false);
  let problems: string[];
  try {
    problems = integrityProblems(db);
  } catch (thrown) {
    db.close();
    const failure = classify(thrown);
    if (failure instanceof AppFailure && failure.code === 'db/corrupt') {
      throw new AppFailure(
        'db/corrupt',
        `${file} is not a readable dataset (kept as is: ${failure.message}). Move it away to start a new one.`,
      );
    }
    throw failure;
  }
  if (problems.length > 0) {
    db.close();
    const backupPath = keepBackup(file);
    const readOnlyDb = openRaw(file, true);
    return { db: readOnlyDb, health: healthOf(readOnlyDb, file, true, backupPath, problems) };
  }
  if (!options.readOnly) {
    try {
      backupBeforeUpgrade(db, file);
      migrate(db);
    } catch (thrown) {
      db.close();
      throw classify(thrown);
    }
  } else if (schemaVersion(db) > 0) {
    migrateCheckOnly(db);
  }
  return { db, health: healthOf(db, file, options.readOnly ?? false, null, []) };
}

/**
 * Before an existing dataset is upgraded, keeps a consistent copy of it at `<file>.v<old>.bak` (once per old version),
 * so a faulty migration can never cost the user their data.
 */
function backupBeforeUpgrade(db: Database.Database, file: string): void {
  const from = schemaVersion(db);
  if (from === 0 || from >= LATEST_VERSION) return;
  const backup = `${file}.v${from}.bak`;
  if (!fs.existsSync(backup)) db.prepare('VACUUM INTO ?').run(backup);
}

function migrateCheckOnly(db: Database.Database): void {
  try {
    migrate(db, 0);
  } catch (thrown) {
    db.close();
    throw thrown;
  }
}
