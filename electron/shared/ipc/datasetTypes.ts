// Dataset DTOs and their constant unions: images, conversations, messages, examples, regions, jobs. Pure types and
// constant lists (no imports) that cross every boundary; the renderer and the database worker import the lists too,
// so each union is spelled once (the lint table lets the renderer import this file's values).

/** Review states of a curated example. */
export const REVIEW_STATUSES = ['draft', 'needs-review', 'accepted', 'rejected'] as const;
/** One of {@link REVIEW_STATUSES}. */
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** Who wrote an example's answers. */
export const ANSWER_SOURCES = ['model', 'human-edited', 'human'] as const;
/** One of {@link ANSWER_SOURCES}. */
export type AnswerSource = (typeof ANSWER_SOURCES)[number];

/** Export targets. */
export const EXPORT_FORMATS = ['llava', 'sharegpt', 'openai', 'coco', 'parquet'] as const;
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

/** A record an import changed on the way in (e.g. `<image>` moved to the start as LLaVA training does). */
export interface ImportNote {
  id: string;
  note: string;
}

/** A record an import skipped because the same image with the same turns is already there. */
export interface ImportDuplicate {
  id: string;
  /** The live example it repeats, or null when it repeats an earlier record of the same import. */
  exampleId: number | null;
  reason: string;
}

/** What an import did. */
export interface ImportSummary {
  imported: number;
  rejected: Rejection[];
  /** Records imported with a change, and what changed. */
  normalised: ImportNote[];
  /** Records not imported because they repeat an example (same image + same turns). */
  duplicates: ImportDuplicate[];
  format: 'llava' | 'sharegpt' | 'parquet';
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
  /** Content hash of the exported snapshot (also in provenance.jsonl's first line). */
  snapshotSha256: string;
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

/** An example the detail-score job will score: its stored image and its turns. */
export interface ScoreCandidate {
  id: number;
  imagePath: string;
  turns: Turn[];
}

/** Progress a long database job (import, export) emits as request events. */
export interface WorkerProgress {
  phase: string;
  done: number;
  total: number;
}
