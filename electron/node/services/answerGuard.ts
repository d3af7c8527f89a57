// Node-only: whether a chat answer's image is unlike the model's training images — the model folder's OOD guard
// (ood.json, electron/node/mining/ood.ts: the TypeScript mirror of models/ood.py, the file's recommended method) on the
// image embedding (inference `embed`, which reuses the features the ask has just encoded: one image encoding).
import type { EmbedResult } from '../../shared/ipc/inference.ts';
import { loadOodGuard, oodScore, type OodGuard, type OodMethod } from '../mining/ood.ts';

/** The verdict saved with an answer (`provenance.ood`). */
export interface AnswerOod {
  score: number;
  /** false: the image is unlike the training images (score above the threshold). */
  inDist: boolean;
  method: OodMethod;
  threshold: number;
}

/** The verdict on an image for a model folder; null when the folder has no guard (no ood.json). */
export type AnswerGuard = (imageSha256: string, modelDir: string, manifestHash: string | null) => Promise<AnswerOod | null>;

/** Embeds an image (the inference service's `embed`). */
export type Embed = (request: { image: { hash: string }; modelDir: string }) => Promise<EmbedResult>;

/** A guard per model folder (loaded once per folder and manifest; a folder whose ood.json fails to load is retried). */
export function createAnswerGuard(embed: Embed): AnswerGuard {
  const guards = new Map<string, Promise<OodGuard | null>>();
  return async (imageSha256, modelDir, manifestHash) => {
    const key = `${modelDir}\n${manifestHash ?? ''}`;
    let loading = guards.get(key);
    if (!loading) {
      loading = loadOodGuard(modelDir);
      guards.set(key, loading);
      loading.catch(() => guards.delete(key));
    }
    const guard = await loading;
    if (!guard) return null;
    const e = await embed({ image: { hash: imageSha256 }, modelDir });
    const v = oodScore(guard, e.vector);
    return { score: v.score, inDist: v.inDist, method: guard.method, threshold: guard.threshold };
  };
}
