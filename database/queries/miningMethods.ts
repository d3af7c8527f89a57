// The mining database methods, split like the rest into reads (any dataset) and writes (refused on a read-only one);
// database/reader.ts and database/writer.ts spread them (database worker).
import { handlerTable } from '../context.ts';
import * as mining from './mining.ts';
import { exampleCoverage, reviewQueue } from './miningReview.ts';
import { examplesMissingSignals, updateSignals } from './miningSignals.ts';
import { getEmbedding, reasonedDuplicates, similarImages, storeEmbedding } from './miningVectors.ts';

/** Mining reads. */
export const miningReads = handlerTable({
  listMiningJobs: (ctx) => mining.listJobs(ctx.db),
  getMiningJob: (ctx, id) => mining.getJob(ctx.db, id),
  nextMiningPairs: (ctx, jobId, limit) => mining.nextPairs(ctx.db, ctx.imagesDir, jobId, limit),
  reviewQueue: (ctx, query) => reviewQueue(ctx.db, query),
  evidenceCoverage: (ctx, exampleId, { coverageBelow }) => exampleCoverage(ctx.db, exampleId, coverageBelow),
  examplesMissingSignals: (ctx, jobId, wanted) => examplesMissingSignals(ctx.db, ctx.imagesDir, jobId, wanted),
  similarImages: (ctx, sha256, { k }) => similarImages(ctx.db, sha256, k ?? 10),
  reasonedDuplicates: (ctx, { minCosine, maxDistance }) => reasonedDuplicates(ctx.db, minCosine ?? 0.98, maxDistance ?? 6),
  getEmbedding: (ctx, sha256, modelKey) => getEmbedding(ctx.db, sha256, modelKey),
});

/** Mining writes. */
export const miningWrites = handlerTable({
  createMiningJob: (ctx, input) => mining.createJob(ctx.db, input, ctx.now()),
  addMiningPairs: (ctx, jobId, pairs) => ({ added: mining.addPairs(ctx.db, jobId, pairs) }),
  finishMiningScan: (ctx, jobId, images, skipped) => mining.setJobState(ctx.db, jobId, 'ready', ctx.now(), { images, skipped }),
  setMiningJobState: (ctx, jobId, state) => mining.setJobState(ctx.db, jobId, state, ctx.now()),
  completeMiningPair: (ctx, completed) => mining.completePair(ctx.db, completed, ctx.now()),
  updateSignals: (ctx, update) => updateSignals(ctx.db, update, ctx.now()),
  failMiningPair: (ctx, jobId, sha256, question, error) => mining.failPair(ctx.db, jobId, sha256, question, error, ctx.now()),
  storeEmbedding: (ctx, sha256, modelKey, vector) => storeEmbedding(ctx.db, sha256, modelKey, vector, ctx.now()),
});
