// Contract of the `dataset` service: images, conversations, curated examples, regions, tags, import,
// export and the detail-score job. DTOs here cross every boundary (renderer, main, CLI, database worker).
import { z } from 'zod';
import { defineContract, event, method, type MethodSpec } from './contract.ts';

/** Review states of a curated example. */
export const REVIEW_STATUSES = ['draft', 'needs-review', 'accepted', 'rejected'] as const;
/** One of {@link REVIEW_STATUSES}. */
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** Who wrote an example's answers. */
export const ANSWER_SOURCES = ['model', 'human-edited', 'human'] as const;
/** One of {@link ANSWER_SOURCES}. */
export type AnswerSource = (typeof ANSWER_SOURCES)[number];

/** Export targets. */
export const EXPORT_FORMATS = ['llava', 'sharegpt', 'openai', 'coco'] as const;
/** One of {@link EXPORT_FORMATS}. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Sort keys of {@link ExampleQuery}. */
export const EXAMPLE_SORTS = ['created', 'updated', 'detail', 'status'] as const;
/** One of {@link EXAMPLE_SORTS}. */
export type ExampleSort = (typeof EXAMPLE_SORTS)[number];

/** An image in the content-addressed store. */
export interface ImageRecord {
  /** Hex sha256 of the file bytes; the image's identity. */
  sha256: string;
  width: number;
  height: number;
  /** Decoder's format name: "png", "jpeg", "webp", "gif", "tiff", "avif", ... */
  format: string;
  /** File size in bytes. */
  bytes: number;
  /** 64-bit DCT perceptual hash as 16 hex digits (near-duplicates differ in few bits). */
  phash: string;
  /** The name the image had when it was added (display only). */
  fileName: string | null;
  /** Absolute path of the stored file (register it with the app's image protocol to display it). */
  path: string;
  createdAt: number;
}

/** A chat conversation. */
export interface Conversation {
  id: number;
  title: string;
  createdAt: number;
  updatedAt: number;
  messageCount: number;
}

/** Roles of chat messages. */
export const MESSAGE_ROLES = ['system', 'user', 'assistant'] as const;
/** One of {@link MESSAGE_ROLES}. */
export type MessageRole = (typeof MESSAGE_ROLES)[number];

/** A message of a conversation; assistant answers carry the engine's inspection record and perf figures. */
export interface Message {
  id: number;
  conversationId: number;
  role: MessageRole;
  text: string;
  /** sha256 of the images attached to this message, in order. */
  images: string[];
  /** The engine's inspection record (selector scores, kept tokens, crop grid...) as JSON, or null. */
  inspection: unknown;
  /** Performance figures (ttft, tokens/s, encode ms...) as JSON, or null. */
  perf: unknown;
  /** Model name, manifest hash, execution provider, selector and generation settings, or null. */
  provenance: Provenance | null;
  createdAt: number;
}

/** Where an answer came from: the model and settings that produced it. Unknown fields are kept. */
export interface Provenance {
  model?: string | null;
  manifestHash?: string | null;
  executionProvider?: string | null;
  selector?: Record<string, unknown> | null;
  generation?: Record<string, unknown> | null;
  [key: string]: unknown;
}

/** One question/answer turn of an example. */
export interface Turn {
  question: string;
  answer: string;
}

/** A box in original-image pixels (x1,y1 top-left; x2,y2 bottom-right) with a note. */
export interface Region {
  id: number;
  exampleId: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  note: string;
  /** Indices of the local tokens the box covers, when known. */
  tokens: number[] | null;
  createdAt: number;
}

/** A curated training example, complete. */
export interface Example {
  id: number;
  /** The id the record had in an imported file, kept for round trips; null for app-made examples. */
  externalId: string | null;
  image: ImageRecord | null;
  system: string | null;
  turns: Turn[];
  sourceMessageId: number | null;
  provenance: Provenance;
  answerSource: AnswerSource;
  status: ReviewStatus;
  notes: string;
  tags: string[];
  regions: Region[];
  /** Mean answer log-likelihood, full model minus global-only; null until scored. */
  detailScore: number | null;
  detailFull: number | null;
  detailGlobalOnly: number | null;
  createdAt: number;
  updatedAt: number;
  /** Set when soft-deleted (undo with `restoreExamples`). */
  deletedAt: number | null;
}

/** A row of the example list. */
export interface ExampleSummary {
  id: number;
  externalId: string | null;
  imageSha256: string | null;
  question: string;
  answer: string;
  turnCount: number;
  status: ReviewStatus;
  answerSource: AnswerSource;
  tags: string[];
  regionCount: number;
  detailScore: number | null;
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
}

/** A page of results. */
export interface Page<T> {
  items: T[];
  total: number;
  offset: number;
  limit: number;
}

/** Counts over the whole dataset. */
export interface DatasetStats {
  examples: number;
  deleted: number;
  byStatus: Record<ReviewStatus, number>;
  byAnswerSource: Record<AnswerSource, number>;
  tags: TagCount[];
  images: number;
  regions: number;
  turns: number;
  scored: number;
  meanDetailScore: number | null;
  conversations: number;
  messages: number;
}

/** A tag with the number of live examples carrying it. */
export interface TagCount {
  name: string;
  count: number;
}

/** Examples that share an image (`exact`) or have perceptually close images (`near`). */
export interface DuplicateGroup {
  kind: 'exact' | 'near';
  images: string[];
  exampleIds: number[];
  /** Largest Hamming distance between any two phashes of the group (0 for exact). */
  distance: number;
}

/** A record an import or export left out, with why. */
export interface Rejection {
  id: string;
  reason: string;
}

/** What an import did. */
export interface ImportSummary {
  imported: number;
  rejected: Rejection[];
  format: 'llava' | 'sharegpt';
}

/** What an export wrote. */
export interface ExportSummary {
  format: ExportFormat;
  outDir: string;
  /** Records written (train + validation). */
  exported: number;
  train: number;
  val: number;
  images: number;
  /** Files written, relative to outDir. */
  files: string[];
  rejected: Rejection[];
}

/** What a detail-score run did. */
export interface ScoreSummary {
  scored: number;
  skipped: number;
  failed: Rejection[];
  cancelled: boolean;
  remaining: number;
}

/** State of the dataset file, checked when it is opened. */
export interface DatasetHealth {
  path: string;
  schemaVersion: number;
  /** 'ok', or 'damaged': integrity_check failed, a backup was kept and the file is open read-only. */
  status: 'ok' | 'damaged';
  readOnly: boolean;
  /** Where the copy of the damaged file was kept, when status is 'damaged'. */
  backupPath: string | null;
  /** integrity_check's first problems, when damaged. */
  problems: string[];
  /** The `synchronous` and `journal_mode` pragmas in force. */
  journalMode: string;
  synchronous: string;
}

/** Progress of a long job (import, export, score). */
export interface JobProgress {
  jobId: string;
  kind: 'import' | 'export' | 'score';
  phase: string;
  done: number;
  total: number;
}

/** Something changed in the dataset (lets lists refresh). */
export interface DatasetChange {
  entity: 'examples' | 'conversations' | 'messages' | 'images' | 'tags';
  ids: number[];
}

const id = z.number().int().positive();
const ids = z.array(id).max(100_000);
const sha = z.string().regex(/^[0-9a-f]{64}$/, 'expected a hex sha256');
const jobId = z.string().min(1).max(100);
const text = z.string().max(1_000_000);
const tagName = z.string().trim().min(1).max(100);
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
  /** Id to cancel with `cancelJob` and to match `jobProgress` events. */
  jobId: jobId.optional(),
});
/** Parsed {@link exportOptionsSchema}. */
export type ExportOptions = z.infer<typeof exportOptionsSchema>;

/** Arguments of an import. */
export const importOptionsSchema = z.object({
  file: z.string().min(1),
  format: z.enum(['auto', 'llava', 'sharegpt']).optional(),
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

/** `method` with an explicit result type and inferred argument schema. */
function takes<R>(): <A extends z.ZodTuple>(args: A) => MethodSpec<A, R> {
  return (args) => method<R, typeof args>(args);
}

/** The `dataset` service. Every method may also fail with `db/corrupt`, `db/read-only`, `db/disk-full`, `db/busy`, `process/crashed`, `process/timeout`. */
export const datasetContract = defineContract(
  'dataset',
  {
    /** Whether the dataset opened cleanly; when damaged it is read-only and `backupPath` says where the copy is. */
    health: method<DatasetHealth>(),
    /** Adds image bytes to the content-addressed store (idempotent). Errors: `image/unsupported`, `image/corrupt`, `image/too-large`, `image/too-small`. */
    addImage: takes<ImageRecord>()(z.tuple([z.instanceof(Uint8Array), z.string().max(1000)])),
    /** Adds the image file at an absolute path. Errors: as `addImage`, plus `image/not-found`. */
    addImageFile: takes<ImageRecord>()(z.tuple([z.string().min(1)])),
    /** An image by hash. Errors: `db/not-found`. */
    getImage: takes<ImageRecord>()(z.tuple([sha])),
    /** The URL (`/image/<token>`, see ipc/images.ts) that displays the stored image in the renderer. Errors: `db/not-found`. */
    imageUrl: takes<string>()(z.tuple([sha])),

    /** Creates a conversation (default title "New chat"). */
    createConversation: takes<Conversation>()(z.tuple([z.object({ title: z.string().max(500).optional() })])),
    /** Conversations, newest activity first; `search` matches titles and message text. */
    listConversations: takes<Page<Conversation>>()(
      z.tuple([
        z.object({
          search: z.string().max(500).optional(),
          offset: z.number().int().min(0).optional(),
          limit: z.number().int().min(1).max(1000).optional(),
        }),
      ]),
    ),
    /** A conversation with its messages in order. Errors: `db/not-found`. */
    getConversation: takes<{ conversation: Conversation; messages: Message[] }>()(z.tuple([id])),
    /** Renames a conversation. Errors: `db/not-found`. */
    renameConversation: takes<Conversation>()(z.tuple([id, z.string().trim().min(1).max(500)])),
    /** Deletes a conversation and its messages (examples saved from it stay; their source link is cleared). */
    deleteConversation: takes<{ deleted: boolean }>()(z.tuple([id])),
    /** Appends a message; images must already be in the store. Errors: `db/not-found`. */
    appendMessage: takes<Message>()(z.tuple([id, newMessageSchema])),

    /** Saves an example from an assistant message in one call (image, question, answer, provenance). Errors: `db/not-found`, `dataset/invalid`. */
    saveExampleFromMessage: takes<Example>()(z.tuple([saveFromMessageSchema])),
    /** Creates an example by hand. Errors: `db/not-found` (image), `dataset/invalid`. */
    createExample: takes<Example>()(z.tuple([newExampleSchema])),
    /** One example with image, turns, tags and regions. Errors: `db/not-found`. */
    getExample: takes<Example>()(z.tuple([id])),
    /** Edits turns, system prompt, notes, review status. Errors: `db/not-found`. */
    updateExample: takes<Example>()(z.tuple([id, examplePatchSchema])),
    /** Soft-deletes examples (undo with `restoreExamples`). */
    deleteExamples: takes<{ changed: number }>()(z.tuple([ids])),
    /** Undoes a soft delete. */
    restoreExamples: takes<{ changed: number }>()(z.tuple([ids])),
    /** Search, filter, sort and paginate examples. */
    listExamples: takes<Page<ExampleSummary>>()(z.tuple([exampleQuerySchema])),
    /** Applies one change to many examples in one transaction. */
    bulkUpdate: takes<{ changed: number }>()(z.tuple([ids, bulkChangeSchema])),
    /** Groups of live examples with the same image or perceptually close images (`maxDistance` bits, default 6). */
    findDuplicates: takes<DuplicateGroup[]>()(z.tuple([z.object({ maxDistance: z.number().int().min(0).max(32).optional() })])),
    /** Counts by status, answer source, tag; scored examples and the mean detail score. */
    stats: method<DatasetStats>(),

    /** Adds a region to an example. Errors: `db/not-found`, `dataset/invalid` (box outside the image or empty). */
    addRegion: takes<Region>()(z.tuple([id, newRegionSchema])),
    /** Replaces a region's box, note or tokens. Errors: `db/not-found`, `dataset/invalid`. */
    updateRegion: takes<Region>()(z.tuple([id, newRegionSchema.partial()])),
    /** Deletes a region. */
    deleteRegion: takes<{ deleted: boolean }>()(z.tuple([id])),

    /** Every tag with its live example count. */
    listTags: method<TagCount[]>(),
    /** Replaces an example's tags. Errors: `db/not-found`. */
    setExampleTags: takes<string[]>()(z.tuple([id, z.array(tagName).max(100)])),

    /** Exports the filtered examples; emits `jobProgress`. Errors: `dataset/path-escape`, `io/permission`, `io/disk-full`, `process/cancelled`. */
    exportDataset: takes<ExportSummary>()(z.tuple([exportOptionsSchema])),
    /** Imports a LLaVA JSON or ShareGPT file; bad records are reported, good ones kept; emits `jobProgress`. Errors: `io/not-found`, `dataset/invalid`, `process/cancelled`. */
    importDataset: takes<ImportSummary>()(z.tuple([importOptionsSchema])),
    /** Scores detail need of examples with the inference engine; resumable (skips scored ones), emits `jobProgress`. Errors: `inference/*`. A cancel resolves with `cancelled: true`. */
    scoreDetail: takes<ScoreSummary>()(z.tuple([scoreOptionsSchema])),
    /** Cancels a running import, export or score job; false when no such job runs. */
    cancelJob: takes<boolean>()(z.tuple([jobId])),
  },
  {
    /** Progress of import, export and score jobs. */
    jobProgress: event<JobProgress>(),
    /** Rows changed (after writes), for list refreshes. */
    changed: event<DatasetChange>(),
  },
);

/** The `dataset` contract's type. */
export type DatasetContract = typeof datasetContract;
