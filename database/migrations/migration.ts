// The shape of a schema migration (database worker).
import type Database from 'better-sqlite3';

/** One append-only step: `up` moves a database from `version - 1` to `version` (run inside a transaction). */
export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}
