// The database methods that change the dataset (database worker): refused by the worker when the dataset was opened
// read-only or found damaged. Each runs on the one writer connection, in a transaction where it touches many rows.
import fs from 'node:fs/promises';
import { AppFailure } from '../electron/shared/errors.ts';
import { handlerTable, type DbContext } from './context.ts';
import { inspectionSummary } from './provenance.ts';
import { measureImage, writeImageFile } from './imageStore.ts';
import * as conversations from './queries/conversations.ts';
import * as examples from './queries/examples.ts';
import { getImageRow, toImageRecord, upsertImage } from './queries/images.ts';
import type { BulkChange, ImageRecord, NewExample, SaveFromMessage } from '../electron/shared/ipc/dataset.ts';
import * as regions from './queries/regions.ts';
import { recordScore } from './queries/scores.ts';
import * as tags from './queries/tags.ts';
import { importDataset } from './importers/importDataset.ts';
import { miningWrites } from './queries/miningMethods.ts';

async function addImage(ctx: DbContext, bytes: Uint8Array, fileName: string | null): Promise<ImageRecord> {
  const measured = await measureImage(bytes);
  await writeImageFile(ctx.imagesDir, measured, bytes);
  return toImageRecord(upsertImage(ctx.db, measured, fileName, ctx.now()), ctx.imagesDir);
}

/** Per-batch caches: tag ids, and images already checked to be in the store. */
interface BatchCache {
  tagIds: Map<string, number>;
  images: Set<string>;
}

function createExample(ctx: DbContext, input: NewExample, cache: BatchCache = { tagIds: new Map(), images: new Set() }): number {
  const sha = input.imageSha256;
  if (sha && !cache.images.has(sha)) {
    if (!getImageRow(ctx.db, sha)) throw new AppFailure('db/not-found', `Image ${sha} is not in the store.`);
    cache.images.add(sha);
  }
  const row = {
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
  } as const;
  return examples.insertExample(ctx.db, row, ctx.now(), cache.tagIds);
}

function saveFromMessage(ctx: DbContext, input: SaveFromMessage): number {
  const message = conversations.getMessage(ctx.db, input.messageId);
  if (message.role !== 'assistant') throw new AppFailure('dataset/invalid', 'Only an assistant answer can be saved as an example.');
  const question = input.question ?? conversations.previousUserMessage(ctx.db, message)?.text;
  if (question === undefined) throw new AppFailure('dataset/invalid', 'The answer has no question before it; pass one.');
  const answer = input.answer ?? message.text;
  const provenance = {
    ...(message.provenance ?? {}),
    conversationId: message.conversationId,
    messageId: message.id,
    perf: message.perf ?? null,
    inspection: inspectionSummary(message.inspection),
  };
  const row = {
    externalId: null,
    imageSha256: conversations.imageForMessage(ctx.db, message) ?? null,
    system: null,
    sourceMessageId: message.id,
    answerSource: answer === message.text ? ('model' as const) : ('human-edited' as const),
    status: input.status ?? 'draft',
    notes: input.notes ?? '',
    provenance,
    turns: [{ question, answer }],
    tags: input.tags ?? [],
  };
  return examples.insertExample(ctx.db, row, ctx.now());
}

function bulkUpdate(ctx: DbContext, ids: number[], change: BulkChange): { changed: number } {
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

async function readImageFile(file: string): Promise<Buffer> {
  return fs.readFile(file).catch((thrown: NodeJS.ErrnoException) => {
    throw new AppFailure(thrown.code === 'ENOENT' ? 'image/not-found' : 'io/permission', `Cannot read ${file}: ${thrown.message}`);
  });
}

/** The write methods. */
export const writer = handlerTable({
  ...miningWrites,
  addImage: (ctx, bytes, fileName) => addImage(ctx, bytes, fileName || null),
  addImageFile: async (ctx, file) => addImage(ctx, await readImageFile(file), file.split(/[\\/]/).pop() ?? null),
  createConversation: (ctx, { title }) => conversations.createConversation(ctx.db, title?.trim() || 'New chat', ctx.now()),
  renameConversation: (ctx, id, title) => conversations.renameConversation(ctx.db, id, title, ctx.now()),
  deleteConversation: (ctx, id) => ({ deleted: conversations.deleteConversation(ctx.db, id) }),
  updateMessage: (ctx, id, patch) => conversations.updateMessage(ctx.db, id, patch),
  appendMessage: (ctx, id, message) => ctx.db.transaction(() => conversations.appendMessage(ctx.db, id, message, ctx.now()))(),
  saveExampleFromMessage: (ctx, input) => examples.getExample(ctx.db, saveFromMessage(ctx, input), ctx.imagesDir),
  createExample: (ctx, input) => examples.getExample(ctx.db, createExample(ctx, input), ctx.imagesDir),
  createExamples: (ctx, inputs) =>
    ctx.db.transaction(() => {
      const cache: BatchCache = { tagIds: new Map(), images: new Set() };
      return inputs.map((input) => createExample(ctx, input, cache));
    })(),
  updateExample: (ctx, id, patch) => {
    examples.updateExample(ctx.db, id, patch, ctx.now());
    return examples.getExample(ctx.db, id, ctx.imagesDir);
  },
  deleteExamples: (ctx, ids) => ({ changed: examples.setDeleted(ctx.db, ids, true, ctx.now()) }),
  restoreExamples: (ctx, ids) => ({ changed: examples.setDeleted(ctx.db, ids, false, ctx.now()) }),
  bulkUpdate: (ctx, ids, change) => bulkUpdate(ctx, ids, change),
  addRegion: (ctx, id, region) => regions.addRegion(ctx.db, id, region, ctx.now()),
  updateRegion: (ctx, id, patch) => regions.updateRegion(ctx.db, id, patch),
  deleteRegion: (ctx, id) => ({ deleted: regions.deleteRegion(ctx.db, id) }),
  setExampleTags: (ctx, id, names) =>
    ctx.db.transaction(() => {
      examples.getExampleRow(ctx.db, id);
      tags.setTags(ctx.db, id, names);
      examples.touch(ctx.db, [id], ctx.now());
      return tags.tagsOf(ctx.db, id);
    })(),
  importDataset: (ctx, options) => importDataset(ctx, ctx, options),
  recordScore: (ctx, id, full, globalOnly) => recordScore(ctx.db, id, full, globalOnly, ctx.now()),
});
