// The model-folder contract (models/MANIFEST.md, version 2) as a zod schema; pure TypeScript, runs anywhere.
import { z } from 'zod';

/** The manifest version this engine understands; any other is refused as `inference/model-unsupported`. */
export const MANIFEST_VERSION = 2;

/** The command that re-exports a model folder from its checkpoint (named when an old folder is refused). */
export const REEXPORT_COMMAND = '.venv/bin/python -m models.export --checkpoint DIR --out DIR --dtype int4|fp16|fp32';

/** The command that upgrades an old folder in place of a re-export, for folders whose checkpoint is gone. */
export const UPGRADE_COMMAND = '.venv/bin/python -m models.upgrade OLD_DIR NEW_DIR';

/** Element types the decoder's KV cache may have (`llm.kv_dtype`). */
export const KV_DTYPES = ['float32', 'float16'] as const;

/** One of {@link KV_DTYPES}. */
export type KvDtype = (typeof KV_DTYPES)[number];

/** The four graphs every model folder holds. */
export const GRAPH_NAMES = ['vision_encoder', 'projector', 'embed_tokens', 'decoder'] as const;

/** One of {@link GRAPH_NAMES}. */
export type GraphName = (typeof GRAPH_NAMES)[number];

const sha256 = z.string().regex(/^[0-9a-f]{64}$/i, 'must be a hex sha256');
const fileName = z
  .string()
  .min(1)
  .refine((f) => !f.includes('..') && !f.startsWith('/') && !f.includes('\\'), 'must be a plain file name inside the model folder');

const tensorSpec = z.object({
  name: z.string().min(1),
  dtype: z.string().min(1),
  shape: z.array(z.union([z.number().int().nonnegative(), z.string().min(1)])),
});

/** One tensor's declared name, dtype and shape (integers fixed, strings dynamic axes). */
export type TensorSpec = z.infer<typeof tensorSpec>;

const externalFile = z.object({ file: fileName, sha256, bytes: z.number().int().nonnegative() });

const graphSpec = z.object({
  file: fileName,
  sha256,
  bytes: z.number().int().nonnegative(),
  external_data: z.array(externalFile).default([]),
  inputs: z.array(tensorSpec).min(1),
  outputs: z.array(tensorSpec).min(1),
});

/** One graph file of the model folder. */
export type GraphSpec = z.infer<typeof graphSpec>;

const positiveInt = z.number().int().positive();
const rgbTriple = z.tuple([z.number(), z.number(), z.number()]);

/** The `manifest.json` schema (version 2). Unknown extra keys are tolerated, missing ones are not. */
export const manifestSchema = z.object({
  format: z.literal('slime-studio-model'),
  version: z.literal(MANIFEST_VERSION),
  name: z.string().min(1),
  architecture: z.literal('slime'),
  dtype: z.string().min(1),
  created_by: z.string().optional(),
  source: z.record(z.string(), z.unknown()).optional(),
  graphs: z.object({
    vision_encoder: graphSpec,
    projector: graphSpec,
    embed_tokens: graphSpec,
    decoder: graphSpec,
  }),
  vision: z.object({
    image_size: positiveInt,
    patch_size: positiveInt,
    patch_grid: positiveInt,
    patch_tokens: positiveInt,
    hidden: positiveInt,
    mean: rgbTriple,
    std: rgbTriple,
    max_tiles: positiveInt.default(7),
    min_tiles: positiveInt.default(2),
    tile_pad_rgb: rgbTriple.default([0, 0, 0]),
    resample: z.enum(['pil-bicubic']).default('pil-bicubic'),
  }),
  projector: z.object({
    global_queries: positiveInt,
    local_queries: positiveInt,
    local_grid: positiveInt,
    hidden: positiveInt,
  }),
  llm: z.object({
    hidden: positiveInt,
    layers: positiveInt,
    heads: positiveInt,
    kv_heads: positiveInt,
    head_dim: positiveInt,
    vocab_size: positiveInt,
    max_length: positiveInt,
    rope_theta: z.number().positive(),
    kv_dtype: z.enum(KV_DTYPES),
    /** Rows of the decoder's rotary cos/sin caches: the hard limit on cached + new rows (≥ max_length). */
    max_positions: positiveInt,
  }),
  tokenizer: z.object({ file: fileName, sha256, config_file: fileName.optional().nullable() }),
  template: z.enum(['llama3', 'vicuna_v1']),
  special_tokens: z.object({
    bos: z.number().int().nullable().optional(),
    eos: z.array(z.number().int()).min(1),
    pad: z.number().int().nullable().optional(),
    image_placeholder: z.number().int().default(-200),
  }),
  separator_id: z.number().int().nonnegative(),
  selector: z.object({
    mode: z.enum(['legacy', 'single']),
    top_p: z.number().positive(),
    temperature: z.number().positive().default(1),
    legacy_first_temperature: z.number().positive().default(0.5),
  }),
  generation: z.object({ max_new_tokens: positiveInt.default(256) }).default({ max_new_tokens: 256 }),
});

/** A parsed, validated manifest. */
export type Manifest = z.infer<typeof manifestSchema>;

/** Why a manifest was refused: the code to report and the offending field paths. */
export interface ManifestProblem {
  code: 'inference/model-invalid' | 'inference/model-unsupported';
  message: string;
  fields: string[];
}

/**
 * Parses raw JSON into a Manifest. A `version` other than {@link MANIFEST_VERSION} (an older one with a message
 * naming the re-export and upgrade commands) or a foreign `format` is `inference/model-unsupported`; any other schema violation is `inference/model-invalid`, naming the fields.
 * Also checks cross-field dimensions (patch grid², hidden sizes, query grid², heads × head_dim).
 */
export function parseManifest(raw: unknown): { ok: true; manifest: Manifest } | { ok: false; problem: ManifestProblem } {
  if (typeof raw === 'object' && raw !== null) {
    const r = raw as { version?: unknown; format?: unknown; architecture?: unknown };
    if (typeof r.version === 'number' && r.version > MANIFEST_VERSION) {
      return unsupported(`manifest version ${r.version} is newer than this app understands (${MANIFEST_VERSION}); update SliME Studio`, [
        'version',
      ]);
    }
    if (typeof r.version === 'number' && r.version < MANIFEST_VERSION) return unsupported(outdatedMessage(r.version), ['version']);
    if (r.format !== undefined && r.format !== 'slime-studio-model')
      return unsupported(`unknown manifest format ${JSON.stringify(r.format)}`, ['format']);
    if (r.architecture !== undefined && r.architecture !== 'slime')
      return unsupported(`unknown architecture ${JSON.stringify(r.architecture)}`, ['architecture']);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.') || '(root)');
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    return { ok: false, problem: { code: 'inference/model-invalid', message: `manifest.json is invalid: ${detail}`, fields } };
  }
  const dims = checkDimensions(parsed.data);
  if (dims.length > 0) {
    return {
      ok: false,
      problem: {
        code: 'inference/model-invalid',
        message: `manifest.json dimensions disagree: ${dims.map((d) => d.message).join('; ')}`,
        fields: dims.map((d) => d.field),
      },
    };
  }
  return { ok: true, manifest: parsed.data };
}

/** Why an older folder is refused and how to make a current one. */
function outdatedMessage(version: number): string {
  return (
    `manifest version ${version} is from an older exporter; this app needs version ${MANIFEST_VERSION} ` +
    `(a decoder with an in-place KV cache). Re-export the model: ${REEXPORT_COMMAND}; ` +
    `or, without the checkpoint, upgrade the folder: ${UPGRADE_COMMAND}`
  );
}

function unsupported(message: string, fields: string[]): { ok: false; problem: ManifestProblem } {
  return { ok: false, problem: { code: 'inference/model-unsupported', message, fields } };
}

function checkDimensions(m: Manifest): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  const v = m.vision;
  if (v.patch_grid * v.patch_size !== v.image_size)
    out.push({
      field: 'vision.patch_grid',
      message: `patch_grid ${v.patch_grid} × patch_size ${v.patch_size} ≠ image_size ${v.image_size}`,
    });
  if (v.patch_grid * v.patch_grid !== v.patch_tokens)
    out.push({ field: 'vision.patch_tokens', message: `patch_tokens ${v.patch_tokens} ≠ patch_grid² ${v.patch_grid ** 2}` });
  if (m.projector.local_grid ** 2 !== m.projector.local_queries)
    out.push({ field: 'projector.local_queries', message: `local_queries ${m.projector.local_queries} ≠ local_grid²` });
  if (m.projector.global_queries !== v.patch_tokens)
    out.push({
      field: 'projector.global_queries',
      message: `global_queries ${m.projector.global_queries} ≠ vision.patch_tokens ${v.patch_tokens}`,
    });
  if (m.projector.hidden !== m.llm.hidden)
    out.push({ field: 'projector.hidden', message: `projector.hidden ${m.projector.hidden} ≠ llm.hidden ${m.llm.hidden}` });
  if (m.llm.heads % m.llm.kv_heads !== 0)
    out.push({ field: 'llm.kv_heads', message: `heads ${m.llm.heads} not a multiple of kv_heads ${m.llm.kv_heads}` });
  if (m.llm.max_positions < m.llm.max_length)
    out.push({ field: 'llm.max_positions', message: `max_positions ${m.llm.max_positions} < max_length ${m.llm.max_length}` });
  const past = m.graphs.decoder.inputs.find((t) => t.name.startsWith('past_key_values.'));
  if (past && past.dtype !== m.llm.kv_dtype)
    out.push({ field: 'llm.kv_dtype', message: `kv_dtype ${m.llm.kv_dtype} ≠ the decoder's ${past.name} dtype ${past.dtype}` });
  if (v.min_tiles > v.max_tiles) out.push({ field: 'vision.min_tiles', message: 'min_tiles > max_tiles' });
  if (m.separator_id >= m.llm.vocab_size)
    out.push({ field: 'separator_id', message: `separator_id ${m.separator_id} ≥ vocab_size ${m.llm.vocab_size}` });
  return out;
}
