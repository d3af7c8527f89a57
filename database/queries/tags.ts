// Queries on tags and the example↔tag link (database worker).
import type Database from 'better-sqlite3';
import type { TagCount } from '../../electron/shared/ipc/dataset.ts';
import { all, get, list, run, sql } from '../sql.ts';

/** The id of tag `name`, creating it when new (names compare case-insensitively). */
export function ensureTag(db: Database.Database, name: string): number {
  run(db, sql`INSERT INTO tags (name) VALUES (${name}) ON CONFLICT (name) DO NOTHING`);
  return get<{ id: number }>(db, sql`SELECT id FROM tags WHERE name = ${name}`)!.id;
}

/** Adds tags to examples. Returns the number of new links. */
export function addTags(db: Database.Database, exampleIds: readonly number[], names: readonly string[]): number {
  let changes = 0;
  for (const name of names) {
    const tagId = ensureTag(db, name);
    for (const id of exampleIds)
      changes += run(db, sql`INSERT OR IGNORE INTO example_tags (example_id, tag_id) VALUES (${id}, ${tagId})`).changes;
  }
  return changes;
}

/** Removes tags from examples. Returns the number of removed links. */
export function removeTags(db: Database.Database, exampleIds: readonly number[], names: readonly string[]): number {
  let changes = 0;
  for (const name of names) {
    changes += run(
      db,
      sql`DELETE FROM example_tags WHERE tag_id = (SELECT id FROM tags WHERE name = ${name}) AND example_id IN ${list(exampleIds)}`,
    ).changes;
  }
  return changes;
}

/** Replaces the tags of one example. */
export function setTags(db: Database.Database, exampleId: number, names: readonly string[]): void {
  run(db, sql`DELETE FROM example_tags WHERE example_id = ${exampleId}`);
  addTags(db, [exampleId], [...new Set(names)]);
}

/** Tags of one example, sorted. */
export function tagsOf(db: Database.Database, exampleId: number): string[] {
  return all<{ name: string }>(
    db,
    sql`SELECT t.name FROM example_tags et JOIN tags t ON t.id = et.tag_id WHERE et.example_id = ${exampleId} ORDER BY t.name`,
  ).map((r) => r.name);
}

/** Every tag with its live example count (tags with no live examples included, count 0). */
export function listTags(db: Database.Database): TagCount[] {
  return all<TagCount>(
    db,
    sql`SELECT t.name AS name, count(e.id) AS count FROM tags t
        LEFT JOIN example_tags et ON et.tag_id = t.id
        LEFT JOIN examples e ON e.id = et.example_id AND e.deleted_at IS NULL
        GROUP BY t.id ORDER BY count DESC, t.name`,
  );
}
