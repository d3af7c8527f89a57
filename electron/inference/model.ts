// Inference process: a loaded model — validated folder, one session per graph (with its provider), the
// tokenizer — and thin typed wrappers that run each graph with fp32 boundaries.
import { Tensor, type InferenceSession } from 'onnxruntime-node';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { AppFailure } from '../shared/errors.ts';
import { GRAPH_NAMES, type GraphName, type Manifest } from '../shared/manifest.ts';
import type { GraphProvider } from '../shared/ipc/inference.ts';
import { validateModelFolder } from './modelFolder.ts';
import { openGraph, type SessionSettings } from './sessions.ts';
import { Tokenizer, type TokenizerJson } from './tokenizer/tokenizer.ts';
import { defaultBosId } from './prompt.ts';

/** Everything needed to run one model. */
export interface LoadedModel {
  dir: string;
  manifest: Manifest;
  sessions: Record<GraphName, InferenceSession>;
  providers: GraphProvider[];
  tokenizer: Tokenizer;
  bosId: number | null;
}

/** Validates `dir`, opens its four graphs on the best providers and reads its tokenizer. */
export async function loadModel(dir: string, settings: SessionSettings): Promise<LoadedModel> {
  const folder = await validateModelFolder(dir);
  const m = folder.manifest;
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(JSON.parse(await readFile(path.join(folder.dir, m.tokenizer.file), 'utf8')) as TokenizerJson);
  } catch (thrown) {
    throw new AppFailure('inference/model-invalid', `${m.tokenizer.file} (tokenizer.file) cannot be used: ${(thrown as Error).message}`, {
      field: 'tokenizer.file',
    });
  }
  const sessions: Partial<Record<GraphName, InferenceSession>> = {};
  const providers: GraphProvider[] = [];
  try {
    for (const g of GRAPH_NAMES) {
      const opened = await openGraph(folder.dir, g, m.graphs[g], settings);
      sessions[g] = opened.session;
      providers.push(opened.provider);
    }
  } catch (thrown) {
    await Promise.all(Object.values(sessions).map((s) => s.release()));
    throw thrown;
  }
  const s = sessions as Record<GraphName, InferenceSession>;
  const bos = m.special_tokens.bos ?? defaultBosId(tokenizer);
  return {
    dir: folder.dir,
    manifest: m,
    sessions: s,
    providers,
    tokenizer,
    bosId: bos,
  };
}

/** Releases a model's sessions. */
export async function releaseModel(model: LoadedModel): Promise<void> {
  await Promise.all(Object.values(model.sessions).map((s) => s.release()));
}

function f32(t: Tensor | undefined, name: string): Float32Array {
  if (!t || !(t.data instanceof Float32Array)) throw new AppFailure('inference/failed', `graph output ${name} is missing or not float32`);
  return t.data;
}

/** vision_encoder: [V,3,S,S] → patch features [V,P,Dv]. */
export async function runVision(model: LoadedModel, pixels: Float32Array, views: number): Promise<Float32Array> {
  const S = model.manifest.vision.image_size;
  const out = await model.sessions.vision_encoder.run({ pixel_values: new Tensor('float32', pixels, [views, 3, S, S]) });
  return f32(out.patch_feats, 'patch_feats');
}

/** What the projector gives. */
export interface Projected {
  globalTokens: Float32Array;
  routerWeights: Float32Array;
  localTokens: Float32Array;
  localAttention: Float32Array | null;
}

/** projector: global [1,P,Dv] and local [N,P,Dv] features → G [P,H], router [P,2], local [N,Q,H], attention [N,Q,P]. */
export async function runProjector(model: LoadedModel, feats: Float32Array, tiles: number): Promise<Projected> {
  const { patch_tokens: P, hidden: Dv } = model.manifest.vision;
  const out = await model.sessions.projector.run({
    global_feats: new Tensor('float32', feats.subarray(0, P * Dv), [1, P, Dv]),
    local_feats: new Tensor('float32', feats.subarray(P * Dv), [tiles, P, Dv]),
  });
  return {
    globalTokens: f32(out.global_tokens, 'global_tokens'),
    routerWeights: f32(out.router_weights, 'router_weights'),
    localTokens: f32(out.local_tokens, 'local_tokens'),
    localAttention: out.local_attention ? f32(out.local_attention, 'local_attention') : null,
  };
}

/** embed_tokens: ids → rows [T,H]. */
export async function runEmbed(model: LoadedModel, ids: readonly number[]): Promise<Float32Array> {
  if (ids.length === 0) return new Float32Array(0);
  const out = await model.sessions.embed_tokens.run({
    input_ids: new Tensor(
      'int64',
      BigInt64Array.from(ids, (i) => BigInt(i)),
      [1, ids.length],
    ),
  });
  return f32(out.embeds, 'embeds');
}
