// Inference process: image → visual features (decode → preprocess → vision_encoder → projector → raster
// order), cached by the image's content hash so later turns and re-selections skip all of it.
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { AppFailure } from '../shared/errors.ts';
import { decodeImageBytes } from './preprocess/decodeImage.ts';
import { preprocessImage, type PreprocessedImage } from './preprocess/preprocessImage.ts';
import { runProjector, runVision, type LoadedModel } from './model.ts';
import { rasterOrder } from './select.ts';
import { checkAbort } from './generate.ts';

/** Encoded features of one image (everything that does not depend on the prompt). */
export interface ImageFeatures {
  hash: string;
  geometry: Omit<PreprocessedImage, 'pixelValues'>;
  globalTokens: Float32Array;
  routerWeights: Float32Array;
  /** Local tokens in raster order [M, H]. */
  localRaster: Float32Array;
  /** Compressor attention [N, Q, P] (tile-major, as the graph gives it), when the graph provides it. */
  localAttention: Float32Array | null;
}

/** Stage times of one encode (zeros on a cache hit). */
export interface EncodeTimings {
  decode: number;
  preprocess: number;
  encode: number;
  project: number;
  cacheHit: boolean;
}

/** A small LRU of features by (model dir, image hash). */
export class FeatureCache {
  private readonly map = new Map<string, ImageFeatures>();
  private readonly capacity: number;
  constructor(capacity = 8) {
    this.capacity = capacity;
  }
  get size(): number {
    return this.map.size;
  }
  get(key: string): ImageFeatures | undefined {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, v: ImageFeatures): void {
    this.map.delete(key);
    this.map.set(key, v);
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value!);
  }
  clear(): void {
    this.map.clear();
  }
}

async function readImage(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (thrown) {
    const code = (thrown as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new AppFailure('image/unsupported', `${file} is a folder, not an image`);
    throw new AppFailure('image/not-found', `No readable image at ${file}${code ? ` (${code})` : ''}`);
  }
}

/** Features of the image at `file`, from the cache or computed. Errors: `image/*`, `inference/cancelled`. */
export async function encodeImage(
  model: LoadedModel,
  cache: FeatureCache,
  file: string,
  signal: AbortSignal,
  onStage: (s: 'decode' | 'preprocess' | 'encode') => void,
): Promise<{ features: ImageFeatures; timings: EncodeTimings }> {
  const timings: EncodeTimings = { decode: 0, preprocess: 0, encode: 0, project: 0, cacheHit: false };
  let t = performance.now();
  onStage('decode');
  const bytes = await readImage(file);
  const hash = createHash('sha256').update(bytes).digest('hex');
  const key = `${model.dir}\u0000${hash}`;
  const hit = cache.get(key);
  if (hit) {
    timings.cacheHit = true;
    timings.decode = performance.now() - t;
    return { features: hit, timings };
  }
  const image = await decodeImageBytes(bytes, hash);
  timings.decode = performance.now() - t;
  checkAbort(signal);
  onStage('preprocess');
  t = performance.now();
  const pre = preprocessImage(image, model.manifest.vision);
  timings.preprocess = performance.now() - t;
  checkAbort(signal);
  onStage('encode');
  t = performance.now();
  const feats = await runVision(model, pre.pixelValues, pre.views);
  timings.encode = performance.now() - t;
  checkAbort(signal);
  t = performance.now();
  const proj = await runProjector(model, feats, pre.views - 1);
  const { local_queries: Q, hidden: H } = model.manifest.projector;
  const localRaster = rasterOrder(proj.localTokens, pre.grid.cols, pre.grid.rows, Q, H);
  timings.project = performance.now() - t;
  const { pixelValues: _pixels, ...geometry } = pre;
  const features: ImageFeatures = {
    hash,
    geometry,
    globalTokens: proj.globalTokens,
    routerWeights: proj.routerWeights,
    localRaster,
    localAttention: proj.localAttention,
  };
  cache.set(key, features);
  return { features, timings };
}
