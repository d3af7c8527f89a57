// Per-image embeddings and what is found with them: the k most similar images (brute-force cosine scan over an
// in-memory matrix per model; sqlite-vec was not adopted, see docs/mining.md) and near-duplicate groups that say why.
import type Database from 'better-sqlite3';
import { AppFailure } from '../../electron/shared/errors.ts';
import type { ReasonedDuplicateGroup, SimilarImage } from '../../electron/shared/ipc/miningTypes.ts';
import { hamming, splitHash } from '../phash.ts';
import { all, each, get, list, run, sql } from '../sql.ts';
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
    const dim = get<{ dim: number }>(db, sql`SELECT dim FROM image_embeddings WHERE model_key = ${modelKey} LIMIT 1`)?.dim ?? 0;
    index = new VectorIndex(dim);
    const rows = each<{ image_sha256: string; vector: Buffer }>(
      db,
      sql`SELECT image_sha256, vector FROM image_embeddings WHERE model_key = ${modelKey}`,
    );
    for (const r of rows) index.setBytes(r.image_sha256, r.vector);
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
    if (index.dim === vector.length) index.set(sha256, Float32Array.from(vector));
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

function sortedIds(concat: string): number[] {
  return concat
    .split(',')
    .map(Number)
    .sort((x, y) => x - y);
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
    exampleIds: sortedIds(r.ids),
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
    exampleIds: sortedIds(r.ids),
    images: [r.sha],
  }));
  return [...exact, ...sameImage];
}

interface NearEdge {
  a: number;
  b: number;
  bits: number;
  cosine: number | null;
}

/** Pairs of distinct images within `maxBits` of perceptual hash, kept when the embeddings (if both have one) agree. */
function nearEdges(
  images: readonly { sha: string; phash: string }[],
  vectors: Map<string, Float32Array>,
  minCosine: number,
  maxBits: number,
): NearEdge[] {
  const edges: NearEdge[] = [];
  const seen = new Set<string>();
  for (const [a, b] of candidatePairs(
    images.map((x) => x.phash),
    maxBits,
  )) {
    const bits = hamming(splitHash(images[a]!.phash), splitHash(images[b]!.phash));
    if (bits > maxBits || seen.has(`${a},${b}`)) continue;
    seen.add(`${a},${b}`);
    const va = vectors.get(images[a]!.sha);
    const vb = vectors.get(images[b]!.sha);
    const cosine = va && vb && va.length === vb.length ? VectorIndex.dot(va, vb) : null;
    if (cosine === null || cosine >= minCosine) edges.push({ a, b, bits, cosine });
  }
  return edges;
}

function describeNear(size: number, edges: readonly NearEdge[]): string {
  const bits = Math.max(...edges.map((e) => e.bits));
  const cosines = edges.map((e) => e.cosine).filter((c): c is number => c !== null);
  if (size === 2) {
    const c = cosines[0];
    return `two images within ${bits} bits of perceptual hash${c === undefined ? '' : `, embedding cosine ${c.toFixed(4)}`}`;
  }
  const c = cosines.length ? `, embedding cosine ≥ ${Math.min(...cosines).toFixed(4)}` : '';
  return `${size} images, each within ${bits} bits of perceptual hash of another${c}`;
}

/** Near-identical images, grouped transitively (a ~ b and b ~ c make one group), with the distances that joined them. */
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
  const edges = nearEdges(images, vectors, minCosine, maxBits);
  const parent = images.map((_, i) => i);
  const root = (x: number): number => (parent[x] === x ? x : (parent[x] = root(parent[x]!)));
  for (const e of edges) parent[root(e.b)] = root(e.a);
  const members = new Map<number, number[]>();
  images.forEach((_, i) => members.set(root(i), [...(members.get(root(i)) ?? []), i]));
  return [...members.values()]
    .filter((m) => m.length > 1)
    .map((m) => ({
      reason: 'near-identical-image' as const,
      detail: describeNear(
        m.length,
        edges.filter((e) => root(e.a) === root(m[0]!)),
      ),
      exampleIds: sortedIds(m.map((i) => images[i]!.ids).join(',')),
      images: m.map((i) => images[i]!.sha),
    }));
}

/** Near-duplicate groups with why: same image + same question, same image (different questions), near-identical image. */
export function reasonedDuplicates(db: Database.Database, minCosine: number, maxBits = 6): ReasonedDuplicateGroup[] {
  return [...sameImageGroups(db), ...nearImageGroups(db, minCosine, maxBits)];
}
