// Inference process: finds and validates a model folder — manifest.json (schema, version, dimensions), graph and
// tokenizer files (presence, size, sha256) — and lists folders with their validation errors.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppFailure } from '../shared/errors.ts';
import { GRAPH_NAMES, parseManifest, type Manifest } from '../shared/manifest.ts';
import type { ModelSummary } from '../shared/ipc/inference.ts';

/** A validated model folder. */
export interface ModelFolder {
  dir: string;
  manifest: Manifest;
  bytes: number;
}

const hashCache = new Map<string, string>();

async function sha256File(file: string, size: number, mtimeMs: number): Promise<string> {
  const key = `${file}\u0000${size}\u0000${mtimeMs}`;
  const hit = hashCache.get(key);
  if (hit) return hit;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const hex = hash.digest('hex');
  hashCache.set(key, hex);
  return hex;
}

async function checkFile(dir: string, file: string, field: string, sha: string, bytes: number | null): Promise<number> {
  const full = path.join(dir, file);
  const st = await stat(full).catch(() => null);
  if (!st?.isFile()) throw new AppFailure('inference/model-invalid', `${file} (${field}) is missing from ${dir}`, { field, file });
  if (bytes !== null && st.size !== bytes) {
    throw new AppFailure('inference/model-invalid', `${file} (${field}) is ${st.size} bytes; the manifest says ${bytes}`, { field, file });
  }
  const got = await sha256File(full, st.size, st.mtimeMs);
  if (got.toLowerCase() !== sha.toLowerCase())
    throw new AppFailure(
      'inference/model-invalid',
      `${file} (${field}) does not match its sha256 in manifest.json (corrupted or replaced)`,
      { field, file },
    );
  return st.size;
}

/**
 * Validates `dir`. Errors: `inference/model-missing` (no folder or no manifest.json), `inference/model-unsupported`
 * (newer version, other format), `inference/model-invalid` (schema, dimensions, a missing or corrupted file) —
 * the message names the file or field.
 */
export async function validateModelFolder(dir: string): Promise<ModelFolder> {
  const abs = path.resolve(dir);
  const st = await stat(abs).catch(() => null);
  if (!st?.isDirectory()) throw new AppFailure('inference/model-missing', `No model folder at ${abs}`);
  let text: string;
  try {
    text = await readFile(path.join(abs, 'manifest.json'), 'utf8');
  } catch {
    throw new AppFailure('inference/model-missing', `${abs} has no manifest.json; it is not a SliME Studio model folder`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (thrown) {
    throw new AppFailure('inference/model-invalid', `manifest.json is not valid JSON: ${(thrown as Error).message}`, {
      fields: ['(root)'],
    });
  }
  const parsed = parseManifest(raw);
  if (!parsed.ok) throw new AppFailure(parsed.problem.code, parsed.problem.message, { fields: parsed.problem.fields });
  const m = parsed.manifest;
  let bytes = 0;
  for (const g of GRAPH_NAMES) {
    const spec = m.graphs[g];
    bytes += await checkFile(abs, spec.file, `graphs.${g}.file`, spec.sha256, spec.bytes);
    for (const [i, ext] of spec.external_data.entries())
      bytes += await checkFile(abs, ext.file, `graphs.${g}.external_data.${i}`, ext.sha256, ext.bytes);
  }
  await checkFile(abs, m.tokenizer.file, 'tokenizer.file', m.tokenizer.sha256, null);
  return { dir: abs, manifest: m, bytes };
}

/** Validates `dir` without throwing: a summary with `error` set when it cannot be loaded. */
export async function summarizeModelFolder(dir: string, isDefault: boolean): Promise<ModelSummary> {
  try {
    const f = await validateModelFolder(dir);
    return {
      dir: f.dir,
      name: f.manifest.name,
      isDefault,
      valid: true,
      error: null,
      template: f.manifest.template,
      dtype: f.manifest.dtype,
      bytes: f.bytes,
    };
  } catch (thrown) {
    const e = thrown instanceof AppFailure ? thrown : new AppFailure('inference/model-invalid', String(thrown));
    const fields = Array.isArray(e.details?.fields)
      ? (e.details.fields as string[])
      : typeof e.details?.field === 'string'
        ? [e.details.field]
        : undefined;
    return {
      dir: path.resolve(dir),
      name: null,
      isDefault,
      valid: false,
      error: fields ? { code: e.code, message: e.message, fields } : { code: e.code, message: e.message },
      template: null,
      dtype: null,
      bytes: null,
    };
  }
}
