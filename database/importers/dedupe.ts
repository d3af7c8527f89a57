// Re-import detection: a record repeats an example when it has the same image (sha256 of the bytes) and the same
// turns (questions and answers, in order). Keys are sha256 digests; live examples are looked up per chunk through
// the image index (text-only ones through their first question) (database worker).
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Turn } from '../../electron/shared/ipc/dataset.ts';
import { all, list, sql } from '../sql.ts';

/** The content key of an example: its image hash (or null) and its turns. */
export function contentKey(imageSha256: string | null, turns: readonly Turn[]): string {
  return createHash('sha256')
    .update(JSON.stringify([imageSha256, turns.map((t) => [t.question, t.answer])]))
    .digest('hex');
}

interface Row {
  id: number;
  sha: string | null;
  question: string;
  answer: string;
}

/** Content key → id of a live example that has it, for the examples that could match `candidates`. */
export function existingKeys(db: Database.Database, candidates: { sha: string | null; turns: readonly Turn[] }[]): Map<string, number> {
  const shas = [...new Set(candidates.flatMap((c) => (c.sha ? [c.sha] : [])))];
  const firstQuestions = [...new Set(candidates.flatMap((c) => (c.sha ? [] : [c.turns[0]?.question ?? ''])))];
  const rows = [
    ...(shas.length
      ? all<Row>(
          db,
          sql`SELECT e.id, e.image_sha256 AS sha, t.question, t.answer FROM examples e JOIN turns t ON t.example_id = e.id
              WHERE e.deleted_at IS NULL AND e.image_sha256 IN ${list(shas)} ORDER BY e.id, t.position`,
        )
      : []),
    ...(firstQuestions.length
      ? all<Row>(
          db,
          sql`SELECT e.id, e.image_sha256 AS sha, t.question, t.answer FROM examples e JOIN turns t ON t.example_id = e.id
              WHERE e.deleted_at IS NULL AND e.image_sha256 IS NULL
                AND e.id IN (SELECT example_id FROM turns WHERE position = 0 AND question IN ${list(firstQuestions)})
              ORDER BY e.id, t.position`,
        )
      : []),
  ];
  const byExample = new Map<number, { sha: string | null; turns: Turn[] }>();
  for (const r of rows) {
    const entry = byExample.get(r.id) ?? { sha: r.sha, turns: [] };
    entry.turns.push({ question: r.question, answer: r.answer });
    byExample.set(r.id, entry);
  }
  const keys = new Map<string, number>();
  for (const [id, e] of byExample) {
    const key = contentKey(e.sha, e.turns);
    if (!keys.has(key)) keys.set(key, id);
  }
  return keys;
}
