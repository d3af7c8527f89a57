// Node-only: the out-of-distribution guard read from a model folder's `ood.json` (written by `python -m models.ood
// build`, models/ood.py): score = 1 − mean cosine similarity to the k nearest reference embeddings; OOD above the
// file's threshold. Must equal models/ood.py (parity test in test/integration/miningOod.test.ts).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AppFailure } from '../../shared/errors.ts';

const oodFileSchema = z.object({
  version: z.literal(1),
  embedding: z.literal('global-mean-l2'),
  k: z.number().int().positive(),
  dim: z.number().int().positive(),
  reference: z.string().min(1),
  threshold: z.number(),
  calibration: z.record(z.string(), z.unknown()).optional(),
});

/** A loaded guard: unit-length reference rows [n, dim]. */
export interface OodGuard {
  k: number;
  dim: number;
  n: number;
  threshold: number;
  reference: Float32Array;
  file: string;
}

/** The guard's verdict on one embedding. */
export interface OodVerdict {
  score: number;
  inDist: boolean;
}

function unit(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const norm = Math.sqrt(s);
  return norm > 0 ? v.map((x) => x / norm) : v;
}

/** Loads `<modelDir>/ood.json`; null when the folder has none (the guard is then unavailable). Errors: `inference/model-invalid`. */
export async function loadOodGuard(modelDir: string): Promise<OodGuard | null> {
  const file = path.join(modelDir, 'ood.json');
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  if (text === null) return null;
  const parsed = oodFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new AppFailure('inference/model-invalid', `${file} is not a valid ood.json: ${parsed.error.issues[0]?.message}`);
  const raw = Buffer.from(parsed.data.reference, 'base64');
  const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const { dim, k, threshold } = parsed.data;
  if (all.length === 0 || all.length % dim !== 0)
    throw new AppFailure('inference/model-invalid', `${file}: the reference holds ${all.length} values, not a multiple of dim ${dim}`);
  const n = all.length / dim;
  const reference = new Float32Array(all.length);
  for (let r = 0; r < n; r++) reference.set(unit(all.subarray(r * dim, (r + 1) * dim)), r * dim);
  return { k: Math.min(k, n), dim, n, threshold, reference, file };
}

/** 1 − mean cosine similarity to the k nearest reference rows; OOD when above the threshold. */
export function oodScore(guard: OodGuard, embedding: readonly number[] | Float32Array): OodVerdict {
  if (embedding.length !== guard.dim)
    throw new AppFailure('inference/model-invalid', `embedding of ${embedding.length} values, ${guard.file} expects ${guard.dim}`);
  const q = unit(Float32Array.from(embedding));
  const sims = new Float64Array(guard.n);
  for (let r = 0; r < guard.n; r++) {
    let s = 0;
    const o = r * guard.dim;
    for (let i = 0; i < guard.dim; i++) s += guard.reference[o + i]! * q[i]!;
    sims[r] = s;
  }
  sims.sort();
  let sum = 0;
  for (let i = 0; i < guard.k; i++) sum += sims[guard.n - 1 - i]!;
  const score = 1 - sum / guard.k;
  return { score, inDist: score <= guard.threshold };
}
