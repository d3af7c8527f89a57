// Node-only: checks a conversion before it starts — the checkpoint folder (released SliME layout), the CLIP folder,
// the output folder (free; default inside the data folder) — so a wrong pick fails in milliseconds with a sentence
// that says which folder to choose, not minutes later inside Python.
import type { Stats } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppFailure } from '../shared/errors.ts';
import type { ConvertPlan } from '../shared/ipc/convert.ts';

const WHAT_CHECKPOINT =
  'choose the folder downloaded from Hugging Face (e.g. yifanzhang114/SliME-Llama3-8B): it holds config.json, model-*.safetensors with model.safetensors.index.json, and tokenizer.json';
const WHAT_CLIP = 'choose the openai/clip-vit-large-patch14-336 folder: it holds config.json and model.safetensors or pytorch_model.bin';

async function statOrNull(p: string): Promise<Stats | null> {
  return stat(p).catch(() => null);
}

async function readJson(file: string): Promise<Record<string, unknown> | null> {
  try {
    const value: unknown = JSON.parse(await readFile(file, 'utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

async function mustBeFolder(dir: string): Promise<string[]> {
  const s = await statOrNull(dir);
  if (!s) throw new AppFailure('io/not-found', `${dir} does not exist.`, { dir });
  if (!s.isDirectory()) throw new AppFailure('io/not-found', `${dir} is a file, not a folder.`, { dir });
  return readdir(dir);
}

/** The checkpoint's LLM shape and weight bytes; `convert/not-a-checkpoint` when the folder is not one. */
export async function checkCheckpoint(dir: string): Promise<{ model: ConvertPlan['model']; bytes: number }> {
  const names = await mustBeFolder(dir);
  const fail = (why: string): never => {
    throw new AppFailure('convert/not-a-checkpoint', `${dir} is not a SliME checkpoint folder (${why}): ${WHAT_CHECKPOINT}.`, { dir });
  };
  const config = names.includes('config.json') ? await readJson(path.join(dir, 'config.json')) : null;
  if (!config) fail(names.includes('config.json') ? 'config.json is not JSON' : 'no config.json');
  const c = config as Record<string, unknown>;
  if (c.vision_config !== undefined || c.model_type === 'clip_vision_model') fail('it is a CLIP folder');
  const layers = c.num_hidden_layers,
    hidden = c.hidden_size,
    vocab = c.vocab_size;
  if (typeof layers !== 'number' || typeof hidden !== 'number' || typeof vocab !== 'number') {
    fail('config.json lacks hidden_size, num_hidden_layers or vocab_size');
  }
  if (!names.includes('model.safetensors.index.json') && !names.includes('model.safetensors')) {
    fail(
      names.some((n) => n.endsWith('.bin'))
        ? 'its weights are .bin files; the released checkpoints are safetensors'
        : 'no model.safetensors.index.json or model.safetensors',
    );
  }
  if (!names.includes('tokenizer.json')) {
    throw new AppFailure(
      'convert/checkpoint-invalid',
      `${dir} has no tokenizer.json (the app needs the fast tokenizer file): download it with the checkpoint.`,
      { dir, kind: 'tokenizer' },
    );
  }
  const sizes = await Promise.all(
    names.filter((n) => n.endsWith('.safetensors')).map(async (n) => (await statOrNull(path.join(dir, n)))?.size ?? 0),
  );
  return {
    model: { layers: layers as number, hidden: hidden as number, vocab: vocab as number, modelType: String(c.model_type ?? 'unknown') },
    bytes: sizes.reduce((a, b) => a + b, 0),
  };
}

/** `convert/not-a-clip-folder` unless `dir` holds a CLIP vision config and weights. */
export async function checkClip(dir: string): Promise<void> {
  const names = await mustBeFolder(dir);
  const fail = (why: string): never => {
    throw new AppFailure('convert/not-a-clip-folder', `${dir} is not a CLIP folder (${why}): ${WHAT_CLIP}.`, { dir });
  };
  const config = names.includes('config.json') ? await readJson(path.join(dir, 'config.json')) : null;
  if (!config) fail('no readable config.json');
  const c = config as Record<string, unknown>;
  const isClip = c.vision_config !== undefined || String(c.model_type ?? '').startsWith('clip');
  if (!isClip) fail(`config.json describes a ${String(c.model_type ?? 'model without model_type')}, not CLIP`);
  if (!names.some((n) => n === 'model.safetensors' || n === 'model.safetensors.index.json' || n === 'pytorch_model.bin')) {
    fail('no model.safetensors or pytorch_model.bin');
  }
}

/** A folder name from the checkpoint's path (a Hugging Face cache snapshot is named after its repository). */
export function checkpointName(dir: string): string {
  let base = path.basename(dir);
  if (/^[0-9a-f]{40}$/.test(base)) base = path.basename(path.dirname(path.dirname(dir))).replace(/^models--[^-]+--/, '');
  return base.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '') || 'model';
}

/** The output folder: `out` when given (it must not exist or be empty), else a free `<dataDir>/models/<name>-<dtype>`. */
export async function chooseOut(dataDir: string, checkpoint: string, dtype: string, out?: string): Promise<string> {
  if (out) {
    const s = await statOrNull(out);
    if (s && (!s.isDirectory() || (await readdir(out)).length > 0)) {
      throw new AppFailure('convert/out-exists', `${out} already exists and is not empty: choose a new folder (nothing was changed).`, {
        dir: out,
      });
    }
    return out;
  }
  const base = path.join(dataDir, 'models', `${checkpointName(checkpoint)}-${dtype}`);
  for (let i = 1; ; i++) {
    const candidate = i === 1 ? base : `${base}-${i}`;
    if (!(await statOrNull(candidate))) return candidate;
  }
}
