// Contract of the `convert` service: turning a downloaded SliME checkpoint (+ its CLIP-L/336 folder) into a model
// folder with the streaming converter (`python -m models.export`), run by main as a supervised job with progress,
// cancel and named failures; the finished folder is added to the model list through the settings service.
import { z } from 'zod';
import { defineContract, event, method } from './contract.ts';
import type { AppError } from '../errors.ts';

/** An absolute path (POSIX, Windows drive or UNC); the service checks what is there. */
export const absolutePathSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(p) && !p.includes('\0'), { message: 'must be an absolute path' });

/** What to convert. */
export const convertRequestSchema = z.object({
  /** The released checkpoint folder (config.json, model-*.safetensors + index, tokenizer.json). */
  checkpoint: absolutePathSchema,
  /** The CLIP-L/336 folder (openai/clip-vit-large-patch14-336: config.json + safetensors). */
  clip: absolutePathSchema,
  dtype: z.enum(['int4', 'fp16']),
  /** The model folder to write (must not exist or be empty); default: `<data folder>/models/<checkpoint>-<dtype>`. */
  out: absolutePathSchema.optional(),
  /** Model name written to the manifest (default: the config's). */
  name: z.string().min(1).max(200).optional(),
});
/** Input of {@link convertRequestSchema}. */
export type ConvertRequest = z.input<typeof convertRequestSchema>;

/** Where Python comes from and whether it has the converter's packages. */
export interface ConvertPython {
  /** The interpreter that would run (null: none found). */
  path: string | null;
  /** Importable packages the converter needs but this interpreter lacks (empty: ready). */
  missing: string[];
  /** How to install what is missing (a shell command). */
  install: string;
}

/** What a conversion would do, checked without running it. */
export interface ConvertPlan {
  checkpoint: string;
  clip: string;
  dtype: 'int4' | 'fp16';
  /** The output folder that will be written. */
  out: string;
  /** From the checkpoint's config.json. */
  model: { layers: number; hidden: number; vocab: number; modelType: string };
  /** Bytes of the checkpoint's weight files. */
  checkpointBytes: number;
  python: ConvertPython;
}

/** A conversion job. */
export interface ConvertJob {
  jobId: string;
  status: 'running' | 'done' | 'failed' | 'cancelled';
  request: { checkpoint: string; clip: string; dtype: 'int4' | 'fp16'; out: string; name?: string };
  /** load → towers → llm → finish (the converter's stages), then `adding` (validated into the model list). */
  stage: 'starting' | 'load' | 'towers' | 'llm' | 'finish' | 'adding';
  /** 0..1 */
  fraction: number;
  elapsedSeconds: number;
  /** The converter's estimate for the remaining decoder layers (null outside that stage). */
  etaSeconds: number | null;
  layer: { index: number; of: number } | null;
  /** The converter's last line. */
  message: string;
  /** Set when `status` is failed or cancelled. */
  error?: AppError;
  /** The added model folder, when done. */
  modelDir?: string;
}

const jobIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/** The `convert` service. Errors: `convert/python-missing`, `convert/not-a-checkpoint`, `convert/not-a-clip-folder`,
 *  `convert/out-exists`, `convert/busy` (one conversion at a time: it needs ~3 GB of memory), `io/not-found`. A job that
 *  fails reports `convert/checkpoint-invalid` (missing shard, key, shape; `details.kind` names which), `io/disk-full`,
 *  `convert/cancelled`, `convert/failed` or the settings service's `inference/model-*` error in its `error`. */
export const convertContract = defineContract(
  'convert',
  {
    /** Checks the folders, the output folder and Python without converting. */
    plan: method<ConvertPlan, z.ZodTuple<[typeof convertRequestSchema], null>>(z.tuple([convertRequestSchema])),
    /** Starts a conversion (checked as `plan`); resolves at once with the running job. */
    start: method<ConvertJob, z.ZodTuple<[typeof convertRequestSchema], null>>(z.tuple([convertRequestSchema])),
    /** Resolves when the job has ended (done, failed or cancelled). Errors: `io/not-found` (no such job). */
    wait: method<ConvertJob, z.ZodTuple<[typeof jobIdSchema], null>>(z.tuple([jobIdSchema])),
    /** Stops a running job and removes its partial output; false when it was not running. */
    cancel: method<boolean, z.ZodTuple<[typeof jobIdSchema], null>>(z.tuple([jobIdSchema])),
    /** Jobs of this session, newest first. */
    list: method<ConvertJob[]>(),
  },
  {
    /** A job's state changed (progress line, end). */
    progress: event<ConvertJob>(),
  },
);

/** The `convert` contract's type. */
export type ConvertContract = typeof convertContract;
