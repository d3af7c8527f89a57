// Per-image embeddings and what is found with them: the k most similar images (brute-force cosine scan over an
// in-memory matrix per model; sqlite-vec was not adopted, see docs/mining.md) and near-duplicate groups that say why.
import type Database from 'better-sqlite3';
import { AppFailure } from '../../electron/shared/errors.ts';
import type { ReasonedDuplicateGroup, SimilarImage } from '../../electron/shared/ipc/miningTypes.ts';
import { hamming, splitHash } from '../phash.ts';
import { all, get, list, run, sql } from '../sql.ts';
import { candidatePairs } from './duplicates.ts';
import { VectorIndex } from './vectorIndex.ts';

const indexes = new WeakMap<Database.Database, Map<string, VectorIndex>>();

function toBlob(vector: readonly number[]): Buffer {
  return Buffer.from(Float32Array.from(vector).buffer);
}

function fromBlob(blob: Buffer): Float32Array {
  return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
}

/** The index of one model's embeddings on this connection, loaded on first use and kept up to date by `storeEmbedding`. */
function indexFor(db: Database.Database, modelKey: string): VectorIndex {
  let byModel = indexes.get(db);
  if (!byModel) indexes.set(db, (byModel = new Map()));
  let index = byModel.get(modelKey);
  if (!index) {
    const rows = all<{ image_sha256: string; dim: number; vector: Buffer }>(
      db,
      sql`SELECT image_sha256, dim, vector FROM image_embeddings WHERE model_key = ${modelKey}`,
    );
    index = new VectorIndex(rows[0]?.dim ?? 0);
    for (const r of rows) index.set(r.image_sha256, fromBlob(r.vector));
    byModel.set(modelKey, index);
  }
  return index;
}

/** Stores (replaces) an image's embedding for a model. */
export function storeEmbedding(db: Database.Database, sha256: string, modelKey: string, vector: readonly number[], now: number): boolean {
  run(
    db,
    sql`INSERT OR REPLACE INTO image_embeddings (image_sha256, model_key, dim, vector, created_at)
        VALUES (${sha256}, ${modelKey}, ${vector.length}, ${toBlob(vector)}, ${now})`,
  );
  const index = indexes.get(db)?.get(modelKey);
  if (index) {
    if (index.dim === 0 || index.dim === vector.length) index.set(sha256, Float32Array.from(vector));
    else indexes.get(db)!.delete(modelKey);
  }
  return true;
}

/** An image's embedding for a model, or null. */
export function getEmbedding(db: Database.Database, sha256: string, modelKey: string): number[] | null {
  const row = get<{ vector: Buffer }>(
    db,
    sql`SELECT vector FROM image_embeddings WHERE image_sha256 = ${sha256} AND model_key = ${modelKey}`,
  );
  return row ? Array.from(fromBlob(row.vector)) : null;
}

/** The `k` images most like `sha256` under the model that embedded it most recently. Errors: `db/not-found`. */
export function similarImages(db: Database.Database, sha256: string, k: number): SimilarImage[] {
  const own = get<{ model_key: string; vector: Buffer }>(
    db,
    sql`SELECT model_key, vector FROM image_embeddings WHERE image_sha256 = ${sha256} ORDER BY created_at DESC LIMIT 1`,
  );
  if (!own) throw new AppFailure('db/not-found', `Image ${sha256} has no embedding yet (run ask-a-folder with embeddings on).`);
  const hits = indexFor(db, own.model_key).search(fromBlob(own.vector), k, sha256);
  const keys = hits.map((h) => h.key);
  const uses = new Map(
    all<{ sha: string; n: number }>(
      db,
      sql`SELECT image_sha256 AS sha, count(*) AS n FROM examples WHERE deleted_at IS NULL AND image_sha256 IN ${list(keys)} GROUP BY image_sha256`,
    ).map((r) => [r.sha, r.n]),
  );
  return hits.map((h) => ({ sha256: h.key, similarity: h.score, examples: uses.get(h.key) ?? 0 }));
}

function sameImageGroups(db: Database.Database): ReasonedDuplicateGroup[] {
  const rows = all<{ sha: string; q: string; ids: string; questions: number }>(
    db,
    sql`SELECT e.image_sha256 AS sha, lower(trim(t.question)) AS q, group_concat(e.id) AS ids, 0 AS questions
        FROM examples e JOIN turns t ON t.example_id = e.id AND t.position = 0
        WHERE e.deleted_at IS NULL AND e.image_sha256 IS NOT NULL GROUP BY sha, q HAVING count(*) > 1`,
  );
  const exact = rows.map<ReasonedDuplicateGroup>((r) => ({
    reason: 'same-image-same-question',
    detail: 'the same image with the same question: true duplicates (keep the best answer)',
    exampleIds: r.ids.split(',').map(Number),
    images: [r.sha],
  }));
  const shared = all<{ sha: string; ids: string; questions: number }>(
    db,
    sql`SELECT e.image_sha256 AS sha, group_concat(e.id) AS ids, count(DISTINCT lower(trim(t.question))) AS questions
        FROM examples e JOIN turns t ON t.example_id = e.id AND t.position = 0
        WHERE e.deleted_at IS NULL AND e.image_sha256 IS NOT NULL GROUP BY sha HAVING questions > 1`,
  );
  const sameImage = shared.map<ReasonedDuplicateGroup>((r) => ({
    reason: 'same-image',
    detail: `one image, ${r.questions} different questions: not duplicates of each other (keep them)`,
    exampleIds: r.ids.split(',').map(Number),
    images: [r.sha],
  }));
  return [...exact, ...sameImage];
}

function nearImageGroups(db: Database.Database, minCosine: number, maxBits: number): ReasonedDuplicateGroup[] {
  const images = all<{ sha: string; phash: string; ids: string }>(
    db,
    sql`SELECT i.sha256 AS sha, i.phash, group_concat(e.id) AS ids FROM images i JOIN examples e ON e.image_sha256 = i.sha256
        WHERE e.deleted_at IS NULL GROUP BY i.sha256 ORDER BY i.sha256`,
  );
  const vectors = new Map(
    all<{ sha: string; vector: Buffer }>(db, sql`SELECT image_sha256 AS sha, vector FROM image_embeddings ORDER BY created_at`).map((r) => [
      r.sha,
      fromBlob(r.vector),
    ]),
  );
  const groups: ReasonedDuplicateGroup[] = [];
  const seen = new Set<string>();
  for (const [i, j] of candidatePairs(
    images.map((x) => x.phash),
    maxBits,
  )) {
    const a = images[i]!;
    const b = images[j]!;
    const bits = hamming(splitHash(a.phash), splitHash(b.phash));
    if (bits > maxBits || seen.has(`${a.sha}${b.sha}`)) continue;
    seen.add(`${a.sha}${b.sha}`);
    const va = vectors.get(a.sha);
    const vb = vectors.get(b.sha);
    const cosine = va && vb && va.length === vb.length ? VectorIndex.dot(va, vb) : null;
    if (cosine !== null && cosine < minCosine) continue;
    groups.push({
      reason: 'near-identical-image',
      detail: `two images within ${bits} bits of perceptual hash${cosine === null ? '' : `, embedding cosine ${cosine.toFixed(4)}`}`,
      exampleIds: [...a.ids.split(','), ...b.ids.split(',')].map(Number),
      images: [a.sha, b.sha],
    });
  }
  return groups;
}

/** Near-duplicate groups with why: same image + same question, same image (different questions), near-identical image. */
export function reasonedDuplicates(db: Database.Database, minCosine: number): ReasonedDuplicateGroup[] {
  return [...sameImageGroups(db), ...nearImageGroups(db, minCosine, 6)];
}
