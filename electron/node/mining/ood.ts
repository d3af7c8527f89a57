// Node-only: the out-of-distribution guard read from a model folder's `ood.json` (written by `python -m models.ood
// build`, models/ood.py). Two methods, as the Python OodGuard: `knn-cosine` (SESSION2-PLAN.md: 1 − mean cosine to
// the k nearest reference embeddings) and `mahalanobis` (distance to the reference mean under its shrunk covariance);
// the default is the file's `recommended`. OOD when the score is above the method's threshold. Must equal models/ood.py
// (parity test: test/integration/miningOod.test.ts).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AppFailure } from '../../shared/errors.ts';

/** The guard's methods. */
export type OodMethod = 'knn-cosine' | 'mahalanobis';

const oodFileSchema = z.object({
  version: z.literal(1),
  embedding: z.literal('global-mean-l2'),
  k: z.number().int().positive(),
  dim: z.number().int().positive(),
  reference: z.string().min(1),
  threshold: z.number(),
  recommended: z.enum(['knn-cosine', 'mahalanobis']).optional(),
  graphs: z.record(z.string(), z.string()).optional(),
  mahalanobis: z
    .object({
      mean: z.string(),
      components: z.string(),
      inv_var: z.string(),
      rank: z.number().int().positive(),
      residual_weight: z.number(),
      threshold: z.number(),
    })
    .optional(),
});

/** A loaded guard. */
export interface OodGuard {
  method: OodMethod;
  dim: number;
  threshold: number;
  file: string;
  /** knn-cosine: unit reference rows [n, dim] and k. */
  knn: { k: number; n: number; reference: Float32Array };
  /** mahalanobis: mean [dim], components [rank, dim], inverse variances [rank], residual weight. */
  maha: { mean: Float32Array; components: Float32Array; invVar: Float32Array; rank: number; residual: number } | null;
}

/** The guard's verdict on one embedding. */
export interface OodVerdict {
  score: number;
  inDist: boolean;
}

function f32(base64: string, file: string, multipleOf: number): Float32Array {
  const raw = Buffer.from(base64, 'base64');
  const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  if (values.length === 0 || values.length % multipleOf !== 0)
    throw new AppFailure('inference/model-invalid', `${file}: an array of ${values.length} values is not a multiple of ${multipleOf}`);
  return values;
}

function invalid(file: string, why: string): AppFailure {
  return new AppFailure('inference/model-invalid', `${file}: ${why}`);
}

/**
 * Loads `<modelDir>/ood.json` with `method` (default: the file's `recommended`, else knn-cosine); null when the folder
 * has none (the guard is unavailable). A file built for other graphs than the manifest's is refused as stale.
 * Errors: `inference/model-invalid`.
 */
export async function loadOodGuard(modelDir: string, method?: OodMethod): Promise<OodGuard | null> {
  const file = path.join(modelDir, 'ood.json');
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw invalid(file, e.message);
  });
  if (text === null) return null;
  const parsed = oodFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw invalid(file, `not a valid ood.json: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  const doc = parsed.data;
  await checkFresh(modelDir, file, doc.graphs);
  const use = method ?? doc.recommended ?? 'knn-cosine';
  const reference = f32(doc.reference, file, doc.dim);
  const knn = { k: Math.min(doc.k, reference.length / doc.dim), n: reference.length / doc.dim, reference };
  if (use === 'knn-cosine') return { method: use, dim: doc.dim, threshold: doc.threshold, file, knn, maha: null };
  const m = doc.mahalanobis;
  if (!m) throw invalid(file, 'has no mahalanobis guard');
  const maha = {
    mean: f32(m.mean, file, doc.dim),
    components: f32(m.components, file, doc.dim),
    invVar: f32(m.inv_var, file, m.rank),
    rank: m.rank,
    residual: m.residual_weight,
  };
  if (maha.components.length !== m.rank * doc.dim) throw invalid(file, `mahalanobis components are not [${m.rank}, ${doc.dim}]`);
  return { method: use, dim: doc.dim, threshold: m.threshold, file, knn, maha };
}

async function checkFresh(modelDir: string, file: string, graphs: Record<string, string> | undefined): Promise<void> {
  if (!graphs) return;
  const manifest = JSON.parse(await readFile(path.join(modelDir, 'manifest.json'), 'utf8').catch(() => '{}')) as {
    graphs?: Record<string, { sha256?: string }>;
  };
  const stale = Object.entries(graphs).filter(([g, sha]) => manifest.graphs?.[g]?.sha256 !== sha);
  if (stale.length > 0)
    throw invalid(
      file,
      `built for other ${stale.map(([g]) => g).join('/')} graphs; rebuild it with python -m models.ood build ${modelDir}`,
    );
}

/** knn-cosine: 1 − mean of the k largest dot products with the (unit) reference rows, in float64. */
function knnScore(g: OodGuard, q: ArrayLike<number>): number {
  const { n, k, reference } = g.knn;
  const sims = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    const o = r * g.dim;
    for (let i = 0; i < g.dim; i++) s += reference[o + i]! * q[i]!;
    sims[r] = s;
  }
  sims.sort();
  let sum = 0;
  for (let i = 0; i < k; i++) sum += sims[n - 1 - i]!;
  return 1 - sum / k;
}

/** mahalanobis: Σ inv_var_i·(c_i·d)² + residual·(‖d‖² − Σ (c_i·d)²), d = x − mean, in float64. */
function mahaScore(g: OodGuard, x: ArrayLike<number>): number {
  const m = g.maha!;
  const d = new Float64Array(g.dim);
  let norm2 = 0;
  for (let i = 0; i < g.dim; i++) {
    d[i] = x[i]! - m.mean[i]!;
    norm2 += d[i]! * d[i]!;
  }
  let score = 0;
  let projected = 0;
  for (let c = 0; c < m.rank; c++) {
    let p = 0;
    const o = c * g.dim;
    for (let i = 0; i < g.dim; i++) p += m.components[o + i]! * d[i]!;
    score += m.invVar[c]! * p * p;
    projected += p * p;
  }
  return score + m.residual * Math.max(0, norm2 - projected);
}

/** The guard's score of an embedding and whether it is in distribution (score ≤ threshold). */
export function oodScore(guard: OodGuard, embedding: ArrayLike<number>): OodVerdict {
  if (embedding.length !== guard.dim)
    throw new AppFailure('inference/model-invalid', `embedding of ${embedding.length} values, ${guard.file} expects ${guard.dim}`);
  const score = guard.method === 'mahalanobis' ? mahaScore(guard, embedding) : knnScore(guard, embedding);
  return { score, inDist: score <= guard.threshold };
}
