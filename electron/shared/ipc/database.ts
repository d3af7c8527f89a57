// Contract of the database worker (main ↔ database hop) and the dataset methods it shares with the renderer-facing
// `dataset` contract: each dataset method is declared here once, implemented once by the worker's reader or writer.
import { z } from 'zod';
import { defineContract, method, type MethodSpec } from './contract.ts';
import type {
  Conversation,
  DatasetHealth,
  DatasetStats,
  DuplicateGroup,
  Example,
  ExampleSummary,
  ExportSummary,
  ImageRecord,
  ImportSummary,
  Message,
  Page,
  Region,
  ScoreCandidate,
  TagCount,
} from './datasetTypes.ts';
import {
  bulkChangeSchema,
  exampleQuerySchema,
  examplePatchSchema,
  exportOptionsSchema,
  id,
  ids,
  importOptionsSchema,
  messagePatchSchema,
  newExampleSchema,
  newMessageSchema,
  newRegionSchema,
  saveFromMessageSchema,
  sha,
  tagName,
} from './datasetSchemas.ts';
import { miningDataMethods, miningWorkerMethods } from './mining.ts';

/** `method` with an explicit result type and inferred argument schema. */
function takes<R>(): <A extends z.ZodTuple>(args: A) => MethodSpec<A, R> {
  return (args) => method<R, typeof args>(args);
}

/**
 * The dataset methods: served by the database worker, forwarded unchanged to the renderer by the `dataset` service.
 * Every method may also fail with `db/corrupt`, `db/read-only`, `db/disk-full`, `db/busy`, `process/crashed`, `process/timeout`.
 */
export const datasetMethods = {
  /** Whether the dataset opened cleanly; when damaged it is read-only and `backupPath` says where the copy is. */
  health: method<DatasetHealth>(),
  /** Adds image bytes to the content-addressed store (idempotent). Errors: `image/unsupported`, `image/corrupt`, `image/too-large`, `image/too-small`. */
  addImage: takes<ImageRecord>()(z.tuple([z.instanceof(Uint8Array), z.string().max(1000)])),
  /** Adds the image file at an absolute path. Errors: as `addImage`, plus `image/not-found`. */
  addImageFile: takes<ImageRecord>()(z.tuple([z.string().min(1)])),
  /** An image by hash. Errors: `db/not-found`. */
  getImage: takes<ImageRecord>()(z.tuple([sha])),

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
};

/** The `database` contract: the dataset methods plus the worker-only ones (batch insert, detail-score rows, close). */
export const databaseContract = defineContract('database', {
  ...datasetMethods,
  ...miningDataMethods,
  ...miningWorkerMethods,
  /** Replaces a message's text (and records): the chat service saves a growing answer with it. Errors: `db/not-found`. */
  updateMessage: takes<Message>()(z.tuple([id, messagePatchSchema])),
  /** Creates many examples in one transaction (import, bench); returns their ids in order. */
  createExamples: takes<number[]>()(z.tuple([z.array(newExampleSchema).max(1_000_000)])),
  /** Live examples with an image that need a detail score (all of `ids`, or every unscored one unless `rescore`). */
  scoreCandidates: takes<ScoreCandidate[]>()(z.tuple([ids.optional(), z.boolean()])),
  /** Stores a detail score; false when the example is gone. */
  recordScore: takes<boolean>()(z.tuple([id, z.number(), z.number()])),
  /** How many live examples with an image have no score yet. */
  unscoredCount: method<number>(),
  /** Checkpoints the WAL and closes the connection (the worker's last call). */
  close: method<boolean>(),
});

/** The `database` contract's type. */
export type DatabaseContract = typeof databaseContract;
