// The database methods that only read (database worker): with the writer, the allow-list of the worker — a method
// that is on neither object is refused, and only these run on a dataset opened read-only.
import { handlerTable, type DbCall } from './context.ts';
import { AppFailure } from '../electron/shared/errors.ts';
import * as conversations from './queries/conversations.ts';
import * as examples from './queries/examples.ts';
import { listExamples } from './queries/exampleList.ts';
import { findDuplicates } from './queries/duplicates.ts';
import { getImageRow, toImageRecord } from './queries/images.ts';
import { scoreCandidates, unscoredCount } from './queries/scores.ts';
import { datasetStats } from './queries/stats.ts';
import * as tags from './queries/tags.ts';
import { exportDataset } from './exporters/exportDataset.ts';
import { miningReads } from './queries/miningMethods.ts';

/** The read methods. `close` is here because a read-only dataset must close too. */
export const reader = handlerTable({
  ...miningReads,
  health: (ctx) => ctx.health,
  getImage: (ctx, sha256) => {
    const row = getImageRow(ctx.db, sha256);
    if (!row) throw new AppFailure('db/not-found', `No image ${sha256}.`);
    return toImageRecord(row, ctx.imagesDir);
  },
  listConversations: (ctx, { search, offset, limit }) => conversations.listConversations(ctx.db, search, offset ?? 0, limit ?? 50),
  getConversation: (ctx, id) => ({
    conversation: conversations.getConversation(ctx.db, id),
    messages: conversations.listMessages(ctx.db, id),
  }),
  getExample: (ctx, id) => examples.getExample(ctx.db, id, ctx.imagesDir),
  listExamples: (ctx, query) => listExamples(ctx.db, query),
  findDuplicates: (ctx, { maxDistance }) => findDuplicates(ctx.db, maxDistance ?? 6),
  stats: (ctx) => datasetStats(ctx.db),
  listTags: (ctx) => tags.listTags(ctx.db),
  exportDataset: (ctx, options) => exportDataset(ctx, ctx, options),
  scoreCandidates: (ctx, ids, rescore) => scoreCandidates(ctx.db, ctx.imagesDir, ids, rescore),
  unscoredCount: (ctx) => unscoredCount(ctx.db),
  close: (ctx: DbCall) => {
    if (!ctx.health.readOnly) ctx.db.pragma('wal_checkpoint(TRUNCATE)');
    ctx.db.close();
    return true;
  },
});
