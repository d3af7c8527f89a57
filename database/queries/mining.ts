// Queries of ask-a-folder jobs: jobs, their pairs keyed (job, image sha256, question), and completing a pair — the
// draft example, its detail score and signals and the pair's `done` mark in one transaction (database worker).
import type Database from 'better-sqlite3';
import { AppFailure } from '../../electron/shared/errors.ts';
import type {
  CompletedPair,
  MiningJob,
  MiningJobState,
  MiningSettings,
  PairCounts,
  PendingPair,
} from '../../electron/shared/ipc/miningTypes.ts';
import { keptSelection } from '../../electron/shared/mining/coverage.ts';
import { storedPath } from '../imageStore.ts';
import { inspectionSummary } from '../provenance.ts';
import { all, get, run, sql } from '../sql.ts';
import { insertExample } from './examples.ts';
import { recordScore } from './scores.ts';

interface JobRow {
  id: number;
  folder: string;
  model_dir: string;
  manifest_sha256: string | null;
  settings: string;
  state: MiningJobState;
  images: number;
  skipped: string;
  created_at: number;
  updated_at: number;
}

function counts(db: Database.Database, jobId: number): PairCounts {
  const rows = all<{ state: string; n: number }>(
    db,
    sql`SELECT state, count(*) AS n FROM mining_pairs WHERE job_id = ${jobId} GROUP BY state`,
  );
  const c: PairCounts = { total: 0, pending: 0, done: 0, failed: 0 };
  for (const r of rows) {
    c[r.state as 'pending' | 'done' | 'failed'] = r.n;
    c.total += r.n;
  }
  return c;
}

/** Signals the pass can fill (OOD only where the model folder has a guard; the pass decides, the count includes it). */
const FILLABLE = JSON.stringify(['detail', 'instability', 'margin', 'ood']);

function missingCount(db: Database.Database, jobId: number): number {
  return get<{ n: number }>(
    db,
    sql`SELECT count(*) AS n FROM mining_pairs p JOIN examples e ON e.id = p.example_id JOIN example_signals s ON s.example_id = e.id
        WHERE p.job_id = ${jobId} AND e.deleted_at IS NULL
          AND EXISTS (SELECT 1 FROM json_each(s.missing) m WHERE m.value IN (SELECT value FROM json_each(${FILLABLE})))`,
  )!.n;
}

function toJob(db: Database.Database, row: JobRow): MiningJob {
  return {
    id: row.id,
    folder: row.folder,
    modelDir: row.model_dir,
    manifestSha256: row.manifest_sha256,
    settings: JSON.parse(row.settings) as MiningSettings,
    state: row.state,
    images: row.images,
    skipped: JSON.parse(row.skipped) as MiningJob['skipped'],
    pairs: counts(db, row.id),
    signalsMissing: missingCount(db, row.id),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A job by id. Throws `db/not-found`. */
export function getJob(db: Database.Database, id: number): MiningJob {
  const row = get<JobRow>(db, sql`SELECT * FROM mining_jobs WHERE id = ${id}`);
  if (!row) throw new AppFailure('db/not-found', `No mining job ${id}.`);
  return toJob(db, row);
}

/** Every job, newest first. */
export function listJobs(db: Database.Database): MiningJob[] {
  return all<JobRow>(db, sql`SELECT * FROM mining_jobs ORDER BY id DESC`).map((r) => toJob(db, r));
}

/** Creates a job in state `scanning`. */
export function createJob(
  db: Database.Database,
  input: { folder: string; modelDir: string; manifestSha256: string | null; settings: MiningSettings },
  now: number,
): MiningJob {
  const { lastInsertRowid } = run(
    db,
    sql`INSERT INTO mining_jobs (folder, model_dir, manifest_sha256, settings, state, created_at, updated_at)
        VALUES (${input.folder}, ${input.modelDir}, ${input.manifestSha256}, ${JSON.stringify(input.settings)}, 'scanning', ${now}, ${now})`,
  );
  return getJob(db, lastInsertRowid);
}

/** Adds pairs, ignoring ones already there; returns how many were new. */
export function addPairs(
  db: Database.Database,
  jobId: number,
  pairs: readonly { imageSha256: string; question: string; file: string }[],
): number {
  getJob(db, jobId);
  return db.transaction(() => {
    let added = 0;
    for (const p of pairs)
      added += run(
        db,
        sql`INSERT OR IGNORE INTO mining_pairs (job_id, image_sha256, question, file) VALUES (${jobId}, ${p.imageSha256}, ${p.question}, ${p.file})`,
      ).changes;
    return added;
  })();
}

/** Sets a job's state (and, at the end of the scan, its image count and skipped files). */
export function setJobState(
  db: Database.Database,
  jobId: number,
  state: MiningJobState,
  now: number,
  scan?: { images: number; skipped: { file: string; reason: string }[] },
): MiningJob {
  getJob(db, jobId);
  if (scan) run(db, sql`UPDATE mining_jobs SET images = ${scan.images}, skipped = ${JSON.stringify(scan.skipped)} WHERE id = ${jobId}`);
  run(db, sql`UPDATE mining_jobs SET state = ${state}, updated_at = ${now} WHERE id = ${jobId}`);
  return getJob(db, jobId);
}

/** Pending pairs, one image's questions together, images in a stable order. */
export function nextPairs(db: Database.Database, imagesDir: string, jobId: number, limit: number): PendingPair[] {
  const rows = all<{ image_sha256: string; question: string; file: string; ext: string }>(
    db,
    sql`SELECT p.image_sha256, p.question, p.file, i.ext FROM mining_pairs p JOIN images i ON i.sha256 = p.image_sha256
        WHERE p.job_id = ${jobId} AND p.state = 'pending' ORDER BY p.image_sha256, p.question LIMIT ${limit}`,
  );
  return rows.map((r) => ({
    imageSha256: r.image_sha256,
    question: r.question,
    file: r.file,
    imagePath: storedPath(imagesDir, r.image_sha256, r.ext),
  }));
}

/** Writes (replaces) an example's signals row with the kept selection of its answer. */
export function writeSignals(
  db: Database.Database,
  exampleId: number,
  c: Pick<CompletedPair, 'signals' | 'inspection'>,
  now: number,
): void {
  const s = c.signals;
  const sweep = s.sweep ? JSON.stringify(s.sweep) : null;
  const picked = keptSelection(c.inspection);
  const selection = picked ? JSON.stringify(picked) : null;
  run(
    db,
    sql`INSERT OR REPLACE INTO example_signals (example_id, instability, diverge_at, margin, ood_score, in_dist, needs_detail, missing, selection, updated_at)
        VALUES (${exampleId}, ${s.instability}, ${sweep}, ${s.margin}, ${s.oodScore}, ${s.inDist === null ? null : s.inDist ? 1 : 0},
                ${s.needsDetail}, ${JSON.stringify(s.missing)}, ${selection}, ${now})`,
  );
}

/**
 * Completes a pair exactly once: when it is still pending, inserts the draft example (answer source `model`), its
 * detail score and signals, and marks the pair done with the example id — all in one transaction, so a crash leaves
 * either everything or nothing. A pair already done returns its example with `already: true`.
 */
export function completePair(db: Database.Database, c: CompletedPair, now: number): { exampleId: number; already: boolean } {
  return db.transaction(() => {
    const pair = get<{ state: string; example_id: number | null }>(
      db,
      sql`SELECT state, example_id FROM mining_pairs WHERE job_id = ${c.jobId} AND image_sha256 = ${c.imageSha256} AND question = ${c.question}`,
    );
    if (!pair) throw new AppFailure('db/not-found', `Job ${c.jobId} has no pair for image ${c.imageSha256} and that question.`);
    if (pair.state === 'done' && pair.example_id !== null) return { exampleId: pair.example_id, already: true };
    const provenance = { ...c.provenance, miningJobId: c.jobId, inspection: inspectionSummary(c.inspection) };
    const exampleId = insertExample(
      db,
      {
        externalId: null,
        imageSha256: c.imageSha256,
        system: null,
        sourceMessageId: null,
        answerSource: 'model',
        status: 'draft',
        notes: '',
        provenance,
        turns: [{ question: c.question, answer: c.answer }],
        tags: c.tags,
      },
      now,
    );
    if (c.detail) recordScore(db, exampleId, c.detail.full, c.detail.globalOnly, now);
    writeSignals(db, exampleId, c, now);
    run(
      db,
      sql`UPDATE mining_pairs SET state = 'done', example_id = ${exampleId}, error = NULL, done_at = ${now}
          WHERE job_id = ${c.jobId} AND image_sha256 = ${c.imageSha256} AND question = ${c.question}`,
    );
    return { exampleId, already: false };
  })();
}

/** Marks a pending pair failed with why. */
export function failPair(db: Database.Database, jobId: number, sha256: string, question: string, error: string, now: number): boolean {
  return (
    run(
      db,
      sql`UPDATE mining_pairs SET state = 'failed', error = ${error}, done_at = ${now}
          WHERE job_id = ${jobId} AND image_sha256 = ${sha256} AND question = ${question} AND state = 'pending'`,
    ).changes > 0
  );
}
