// The worker's allow-listed handlers: each runs queries on the one writer connection (database worker).
import fs from 'node:fs/promises';
import type Database from 'better-sqlite3';
import type { DatasetHealth, Example, NewExample } from '../electron/shared/ipc/dataset.ts';
import type { DbArgs, DbMethod, DbResult, WorkerProgress } from './contract.ts';
import { DbFailure } from './errors.ts';
import { inspectionSummary } from './provenance.ts';
import { measureImage, writeImageFile } from './imageStore.ts';
import * as conversations from './queries/conversations.ts';
import * as examples from './queries/examples.ts';
import { listExamples } from './queries/exampleList.ts';
import { findDuplicates } from './queries/duplicates.ts';
import { getImageRow, toImageRecord, upsertImage } from './queries/images.ts';
import * as regions from './queries/regions.ts';
import { recordScore, scoreCandidates, unscoredCount } from './queries/scores.ts';
import { datasetStats } from './queries/stats.ts';
import * as tags from './queries/tags.ts';
import { exportDataset } from './exporters/exportDataset.ts';
import { importDataset } from './importers/importDataset.ts';

/** What every handler gets: the connection and the store's folders. */
export interface DbContext {
  db: Database.Database;
  imagesDir: string;
  health: DatasetHealth;
  now(): number;
}

/** Per-request facilities: cancellation and progress. */
export interface JobContext {
  signal: AbortSignal;
  emit(progress: WorkerProgress): void;
}

/** A handler per worker method. */
export type Handlers = { [K in DbMethod]: (ctx: DbContext, job: JobContext, ...args: DbArgs<K>) => DbResult<K> | Promise<DbResult<K>> };

async function addImage(ctx: DbContext, bytes: Uint8Array, fileName: string | null): Promise<DbResult<'addImage'>> {
  const measured = await measureImage(bytes);
  await writeImageFile(ctx.imagesDir, measured, bytes);
  return toImageRecord(upsertImage(ctx.db, measured, fileName, ctx.now()), ctx.imagesDir);
}

/** Adds an image row for bytes already measured and stored (used by import). */
export { addImage };

/** Per-batch caches: tag ids, and images already checked to be in the store. */
interface BatchCache {
  tagIds: Map<string, number>;
  images: Set<string>;
}

function createExample(ctx: DbContext, input: NewExample, cache: BatchCache = { tagIds: new Map(), images: new Set() }): number {
  const sha = input.imageSha256;
  if (sha && !cache.images.has(sha)) {
    if (!getImageRow(ctx.db, sha)) throw new DbFailure('db/not-found', `Image ${sha} is not in the store.`);
    cache.images.add(sha);
  }
  return examples.insertExample(
    ctx.db,
    {
      externalId: input.externalId ?? null,
      imageSha256: input.imageSha256,
      system: input.system ?? null,
      sourceMessageId: null,
      answerSource: input.answerSource ?? 'human',
      status: input.status ?? 'draft',
      notes: input.notes ?? '',
      provenance: input.provenance ?? {},
      turns: input.turns,
      tags: input.tags ?? [],
    },
    ctx.now(),
    cache.tagIds,
  );
}

function saveFromMessage(ctx: DbContext, input: DbArgs<'saveExampleFromMessage'>[0]): Example {
  const message = conversations.getMessage(ctx.db, input.messageId);
  if (message.role !== 'assistant') throw new DbFailure('dataset/invalid', 'Only an assistant answer can be saved as an example.');
  const question = input.question ?? conversations.previousUserMessage(ctx.db, message)?.text;
  if (question === undefined) throw new DbFailure('dataset/invalid', 'The answer has no question before it; pass one.');
  const answer = input.answer ?? message.text;
  const id = examples.insertExample(
    ctx.db,
    {
      externalId: null,
      imageSha256: conversations.imageForMessage(ctx.db, message) ?? null,
      system: null,
      sourceMessageId: message.id,
      answerSource: answer === message.text ? 'model' : 'human-edited',
      status: input.status ?? 'draft',
      notes: input.notes ?? '',
      provenance: {
        ...(message.provenance ?? {}),
        conversationId: message.conversationId,
        messageId: message.id,
        perf: message.perf ?? null,
        inspection: inspectionSummary(message.inspection),
      },
      turns: [{ question, answer }],
      tags: input.tags ?? [],
    },
    ctx.now(),
  );
  return examples.getExample(ctx.db, id, ctx.imagesDir);
}

function bulkUpdate(ctx: DbContext, ids: number[], change: DbArgs<'bulkUpdate'>[1]): { changed: number } {
  const now = ctx.now();
  return ctx.db.transaction(() => {
    let changed = 0;
    if (change.status) changed += examples.setStatus(ctx.db, ids, change.status, now);
    if (change.addTags?.length) changed += tags.addTags(ctx.db, ids, change.addTags);
    if (change.removeTags?.length) changed += tags.removeTags(ctx.db, ids, change.removeTags);
    if (change.addTags?.length || change.removeTags?.length) examples.touch(ctx.db, ids, now);
    if (change.deleted !== undefined) changed += examples.setDeleted(ctx.db, ids, change.deleted, now);
    return { changed };
  })();
}

/** The handler table; its keys are exactly {@link DB_METHODS}. */
export const handlers: Handlers = {
  health: (ctx) => ctx.health,
  addImage: (ctx, _job, bytes, fileName) => addImage(ctx, bytes, fileName),
  addImageFile: async (ctx, _job, file) => {
    const bytes = await fs.readFile(file).catch((thrown: NodeJS.ErrnoException) => {
      throw new DbFailure(thrown.code === 'ENOENT' ? 'image/not-found' : 'io/permission', `Cannot read ${file}: ${thrown.message}`);
    });
    return addImage(ctx, bytes, file.split(/[\\/]/).pop() ?? null);
  },
  getImage: (ctx, _job, sha256) => {
    const row = getImageRow(ctx.db, sha256);
    if (!row) throw new DbFailure('db/not-found', `No image ${sha256}.`);
    return toImageRecord(row, ctx.imagesDir);
  },
  createConversation: (ctx, _job, title) => conversations.createConversation(ctx.db, title, ctx.now()),
  listConversations: (ctx, _job, search, offset, limit) => conversations.listConversations(ctx.db, search, offset, limit),
  getConversation: (ctx, _job, id) => ({
    conversation: conversations.getConversation(ctx.db, id),
    messages: conversations.listMessages(ctx.db, id),
  }),
  renameConversation: (ctx, _job, id, title) => conversations.renameConversation(ctx.db, id, title, ctx.now()),
  deleteConversation: (ctx, _job, id) => ({ deleted: conversations.deleteConversation(ctx.db, id) }),
  appendMessage: (ctx, _job, id, message) => ctx.db.transaction(() => conversations.appendMessage(ctx.db, id, message, ctx.now()))(),
  saveExampleFromMessage: (ctx, _job, input) => saveFromMessage(ctx, input),
  createExample: (ctx, _job, input) => examples.getExample(ctx.db, createExample(ctx, input), ctx.imagesDir),
  createExamples: (ctx, _job, inputs) =>
    ctx.db.transaction(() => {
      const cache: BatchCache = { tagIds: new Map(), images: new Set() };
      return inputs.map((input) => createExample(ctx, input, cache));
    })(),
  getExample: (ctx, _job, id) => examples.getExample(ctx.db, id, ctx.imagesDir),
  updateExample: (ctx, _job, id, patch) => {
    examples.updateExample(ctx.db, id, patch, ctx.now());
    return examples.getExample(ctx.db, id, ctx.imagesDir);
  },
  setDeleted: (ctx, _job, ids, deleted) => ({ changed: examples.setDeleted(ctx.db, ids, deleted, ctx.now()) }),
  listExamples: (ctx, _job, query) => listExamples(ctx.db, query),
  bulkUpdate: (ctx, _job, ids, change) => bulkUpdate(ctx, ids, change),
  findDuplicates: (ctx, _job, maxDistance) => findDuplicates(ctx.db, maxDistance),
  stats: (ctx) => datasetStats(ctx.db),
  addRegion: (ctx, _job, id, region) => regions.addRegion(ctx.db, id, region, ctx.now()),
  updateRegion: (ctx, _job, id, patch) => regions.updateRegion(ctx.db, id, patch),
  deleteRegion: (ctx, _job, id) => ({ deleted: regions.deleteRegion(ctx.db, id) }),
  listTags: (ctx) => tags.listTags(ctx.db),
  setExampleTags: (ctx, _job, id, names) =>
    ctx.db.transaction(() => {
      examples.getExampleRow(ctx.db, id);
      tags.setTags(ctx.db, id, names);
      examples.touch(ctx.db, [id], ctx.now());
      return tags.tagsOf(ctx.db, id);
    })(),
  exportDataset: (ctx, job, options) => exportDataset(ctx, job, options),
  importDataset: (ctx, job, options) => importDataset(ctx, job, options),
  scoreCandidates: (ctx, _job, ids, rescore) => scoreCandidates(ctx.db, ctx.imagesDir, ids, rescore),
  recordScore: (ctx, _job, id, full, globalOnly) => recordScore(ctx.db, id, full, globalOnly, ctx.now()),
  unscoredCount: (ctx) => unscoredCount(ctx.db),
  close: (ctx) => {
    if (!ctx.health.readOnly) ctx.db.pragma('wal_checkpoint(TRUNCATE)');
    ctx.db.close();
    return true;
  },
};
