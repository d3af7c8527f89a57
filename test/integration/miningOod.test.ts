// Integration (parity): the engine's image embedding (inference process `embed`, electron/inference/embed.ts) and the
// TypeScript OOD guard (electron/node/mining/ood.ts) against the Python reference (models/ort_signals.py
// image_embedding, models/ood.py OodGuard) on SliME-Nano, for Nano scenes and real photos, with both guard methods.
// Tolerances: embedding 1e-4 absolute (SESSION2-PLAN.md); knn-cosine score 1e-4 absolute; Mahalanobis score 1e-3
// relative (a sum of up to 256 squared projections scaled by inverse variances up to ~1e4); verdicts equal.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Supervisor } from '../../electron/shared/process/supervisor.ts';
import { forkSpawner } from '../../electron/node/forkChild.ts';
import { INFERENCE_ENTRY, REPO_ROOT } from '../../electron/node/paths.ts';
import type { EmbedResult } from '../../electron/shared/ipc/inference.ts';
import { loadOodGuard, oodScore } from '../../electron/node/mining/ood.ts';

const NANO = path.join(REPO_ROOT, 'models', 'nano');
const MIXED = path.join(REPO_ROOT, 'test', 'fixtures', 'mining');
const IMAGES = [
  'scenes/heldout-000.png',
  'scenes/heldout-005.png',
  'scenes/heldout-017.png',
  'photos/astronaut.png',
  'photos/coins.png',
  'photos/hubble_deep_field.png', // chelsea.png passes the guard shipped 2026-12-07 (2 of 20 photos do)
].map((f) => path.join(MIXED, f));
const PYTHON = `
import json, sys
from models.ort_pipeline import OrtSlime
from models.ort_signals import image_embedding, load_image
from models.ood import OodGuard
rt = OrtSlime("${NANO}")
knn, maha = OodGuard.load("${NANO}", method="knn-cosine"), OodGuard.load("${NANO}", method="mahalanobis")
out = []
for p in sys.argv[1:]:
    e = image_embedding(rt, load_image(p))
    out.append({"embedding": e.tolist(), "knn": knn.score(e), "maha": maha.score(e)})
print(json.dumps(out))
`;

let sup: Supervisor;
beforeAll(() => {
  sup = new Supervisor({ spawn: forkSpawner(INFERENCE_ENTRY), name: 'inference', defaultTimeoutMs: 120_000 });
});
afterAll(() => sup.stop());

describe('embedding and OOD guard parity with models/ood.py', () => {
  it('gives the same embeddings, scores and verdicts as the Python reference', async () => {
    const python = JSON.parse(
      execFileSync(path.join(REPO_ROOT, '.venv', 'bin', 'python'), ['-c', PYTHON, ...IMAGES], { cwd: REPO_ROOT, encoding: 'utf8' }),
    ) as { embedding: number[]; knn: [number, boolean]; maha: [number, boolean] }[];
    const knn = (await loadOodGuard(NANO, 'knn-cosine'))!;
    const maha = (await loadOodGuard(NANO))!;
    expect(maha.method).toBe('mahalanobis');
    for (const [i, file] of IMAGES.entries()) {
      const r = await sup.request<EmbedResult>('embed', { modelDir: NANO, image: { path: file } });
      if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
      const ref = python[i]!;
      expect(r.value.dim).toBe(ref.embedding.length);
      const worst = Math.max(...r.value.vector.map((v, j) => Math.abs(v - ref.embedding[j]!)));
      expect(worst, `embedding of ${path.basename(file)}`).toBeLessThan(1e-4);
      const k = oodScore(knn, r.value.vector);
      expect(Math.abs(k.score - ref.knn[0]), `knn score of ${path.basename(file)}`).toBeLessThan(1e-4);
      expect(k.inDist).toBe(ref.knn[1]);
      const m = oodScore(maha, r.value.vector);
      expect(Math.abs(m.score - ref.maha[0]) / Math.max(1, ref.maha[0]), `mahalanobis score of ${path.basename(file)}`).toBeLessThan(1e-3);
      expect(m.inDist).toBe(ref.maha[1]);
    }
    // The scenes are in distribution and the photos are not, under the recommended guard.
    expect(python.map((p) => p.maha[1])).toEqual([true, true, true, false, false, false]);
  });
});
