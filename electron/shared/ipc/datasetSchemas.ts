// Zod schemas of the dataset's arguments (queries, options, new rows, patches); parsed at every hop by the shared
// router and `serve` loop. Pure TypeScript.
import { z } from 'zod';
import { ANSWER_SOURCES, EXAMPLE_SORTS, EXPORT_FORMATS, MESSAGE_ROLES, REVIEW_STATUSES } from './datasetTypes.ts';

/** A row id. */
export const id = z.number().int().positive();
/** Many row ids. */
export const ids = z.array(id).max(100_000);
/** A hex sha256. */
export const sha = z.string().regex(/^[0-9a-f]{64}$/, 'expected a hex sha256');
/** A job id (cancel and progress). */
export const jobId = z.string().min(1).max(100);
/** Free text up to a megabyte. */
export const text = z.string().max(1_000_000);
/** A tag name. */
export const tagName = z.string().trim().min(1).max(100);
const json = z.unknown();

/** Schema of a turn. */
export const turnSchema = z.object({ question: text, answer: text });
/** Schema of provenance (open object). */
export const provenanceSchema = z.record(z.string(), z.unknown());

/** Filters and ordering of the example list. */
export const exampleQuerySchema = z.object({
  /** FTS5 search over questions, answers and notes (plain words; quoted as phrases internally). */
  search: z.string().max(500).optional(),
  status: z.array(z.enum(REVIEW_STATUSES)).optional(),
  answerSource: z.array(z.enum(ANSWER_SOURCES)).optional(),
  /** Every listed tag must be present. */
  tags: z.array(tagName).optional(),
  minDetail: z.number().optional(),
  maxDetail: z.number().optional(),
  imageSha256: sha.optional(),
  /**
   * Evidence coverage (examples with regions and a mined kept selection): true = the selector dropped the evidence
   * (some region kept under half its cells), false = every region kept enough. Examples without coverage match neither.
   */
  evidenceDropped: z.boolean().optional(),
  sourceMessageId: id.optional(),
  /** 'live' (default), 'deleted' (the trash), or 'all'. */
  deleted: z.enum(['live', 'deleted', 'all']).optional(),
  sort: z.enum(EXAMPLE_SORTS).optional(),
  order: z.enum(['asc', 'desc']).optional(),
  offset: z.number().int().min(0).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});
/** Parsed {@link exampleQuerySchema}. */
export type ExampleQuery = z.infer<typeof exampleQuerySchema>;

/** Export filters (same meaning as the list's). */
export const exportFilterSchema = z.object({
  tags: z.array(tagName).optional(),
  status: z.array(z.enum(REVIEW_STATUSES)).optional(),
  minDetail: z.number().optional(),
  ids: ids.optional(),
});

/** Arguments of an export. */
export const exportOptionsSchema = z.object({
  format: z.enum(EXPORT_FORMATS),
  outDir: z.string().min(1),
  filter: exportFilterSchema.optional(),
  /** Fraction of images (not records) put in the validation split, 0..0.9 (default 0: no split). */
  valFraction: z.number().min(0).max(0.9).optional(),
  /** Seed of the split (same seed, same split). */
  seed: z.number().int().optional(),
  /** Write into a folder that already has files (default false: such a folder is refused with `dataset/not-empty`). */
  overwrite: z.boolean().optional(),
  /** Id to cancel with `cancelJob` and to match `jobProgress` events. */
  jobId: jobId.optional(),
});
/** Parsed {@link exportOptionsSchema}. */
export type ExportOptions = z.infer<typeof exportOptionsSchema>;

/** Arguments of an import. */
export const importOptionsSchema = z.object({
  /** A LLaVA/ShareGPT JSON file, a Parquet file, or a folder of Parquet shards. */
  file: z.string().min(1),
  format: z.enum(['auto', 'llava', 'sharegpt', 'parquet']).optional(),
  /** Tags added to every imported example. */
  tags: z.array(tagName).optional(),
  status: z.enum(REVIEW_STATUSES).optional(),
  jobId: jobId.optional(),
});
/** Parsed {@link importOptionsSchema}. */
export type ImportOptions = z.infer<typeof importOptionsSchema>;

/** Arguments of a detail-score run. */
export const scoreOptionsSchema = z.object({
  /** Only these examples (default: every live example with an image). */
  ids: ids.optional(),
  /** Re-score examples that already have a score (default false: resume where the last run stopped). */
  rescore: z.boolean().optional(),
  jobId: jobId.optional(),
});
/** Parsed {@link scoreOptionsSchema}. */
export type ScoreOptions = z.infer<typeof scoreOptionsSchema>;

/** A new message. */
export const newMessageSchema = z.object({
  role: z.enum(MESSAGE_ROLES),
  text,
  images: z.array(sha).max(16).optional(),
  inspection: json.optional(),
  perf: json.optional(),
  provenance: provenanceSchema.optional(),
});
/** Parsed {@link newMessageSchema}. */
export type NewMessage = z.infer<typeof newMessageSchema>;

/** A growing or finished answer: its text, and the records that arrive at the end. */
export const messagePatchSchema = z.object({
  text,
  inspection: json.optional(),
  perf: json.optional(),
  provenance: provenanceSchema.optional(),
});
/** Parsed {@link messagePatchSchema}. */
export type MessagePatch = z.infer<typeof messagePatchSchema>;

/** Saving an example from an assistant message; omitted fields come from the chat. */
export const saveFromMessageSchema = z.object({
  messageId: id,
  /** Defaults to the user message before the answer. */
  question: text.optional(),
  /** Defaults to the message's text; a different text marks the example human-edited. */
  answer: text.optional(),
  tags: z.array(tagName).optional(),
  status: z.enum(REVIEW_STATUSES).optional(),
  notes: text.optional(),
});
/** Parsed {@link saveFromMessageSchema}. */
export type SaveFromMessage = z.infer<typeof saveFromMessageSchema>;

/** A hand-made example. */
export const newExampleSchema = z.object({
  imageSha256: sha.nullable(),
  turns: z.array(turnSchema).min(1).max(100),
  system: text.nullable().optional(),
  answerSource: z.enum(ANSWER_SOURCES).optional(),
  status: z.enum(REVIEW_STATUSES).optional(),
  notes: text.optional(),
  tags: z.array(tagName).optional(),
  provenance: provenanceSchema.optional(),
  externalId: z.string().max(200).nullable().optional(),
});
/** Parsed {@link newExampleSchema}. */
export type NewExample = z.infer<typeof newExampleSchema>;

/** Fields an edit may change; editing turns of a model-written example marks it human-edited. */
export const examplePatchSchema = z.object({
  turns: z.array(turnSchema).min(1).max(100).optional(),
  system: text.nullable().optional(),
  notes: text.optional(),
  status: z.enum(REVIEW_STATUSES).optional(),
  answerSource: z.enum(ANSWER_SOURCES).optional(),
});
/** Parsed {@link examplePatchSchema}. */
export type ExamplePatch = z.infer<typeof examplePatchSchema>;

/** A bulk change over many examples. */
export const bulkChangeSchema = z.object({
  status: z.enum(REVIEW_STATUSES).optional(),
  addTags: z.array(tagName).optional(),
  removeTags: z.array(tagName).optional(),
  /** true: soft-delete; false: restore. */
  deleted: z.boolean().optional(),
});
/** Parsed {@link bulkChangeSchema}. */
export type BulkChange = z.infer<typeof bulkChangeSchema>;

/** A new region (original-image pixels; must lie inside the image). */
export const newRegionSchema = z.object({
  x1: z.number().min(0),
  y1: z.number().min(0),
  x2: z.number().min(0),
  y2: z.number().min(0),
  note: z.string().max(10_000).optional(),
  tokens: z.array(z.number().int().min(0)).max(100_000).nullable().optional(),
});
/** Parsed {@link newRegionSchema}. */
export type NewRegion = z.infer<typeof newRegionSchema>;
