// CLI (plain Node): `slime dataset import|export|stats|score` over the dataset service (default data dir, or --db FILE).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { clientFor, type CliCommand, type CliClient, type CliContext } from '../command.ts';
import { AppFailure } from '../../shared/errors.ts';
import { createRouter, bind } from '../../shared/ipc/router.ts';
import {
  datasetContract,
  type DatasetContract,
  type DatasetStats,
  type ExportFormat,
  type ReviewStatus,
  type ScoreSummary,
} from '../../shared/ipc/dataset.ts';
import { startDatasetWorker } from '../../node/datasetWorker.ts';
import { inferenceScorer } from '../../node/datasetSetup.ts';
import { DEFAULT_MODEL_DIR, defaultDataDir } from '../../node/paths.ts';
import { createDatasetService } from '../../node/services/datasetService.ts';
import { MINE_OPTIONS, MINE_USAGE, runMine } from './mine.ts';

const USAGE = [
  'slime dataset import FILE|PARQUET_DIR [--db PATH] [--tag T]... [--json]   (LLaVA/ShareGPT JSON, Parquet file or folder of shards)',
  '       slime dataset export --format llava|sharegpt|openai|coco|parquet --out DIR [--overwrite] [--tag T]... [--status S]... [--min-detail X] [--val-fraction F] [--seed N] [--db PATH] [--json]',
  '       slime dataset stats [--db PATH] [--json]   (names the database it read; refuses a missing one)',
  '       slime dataset score [--rescore] [--db PATH] [--json]',
  ...MINE_USAGE,
].join('\n');

function str(ctx: CliContext, name: string): string | undefined {
  const v = ctx.flags[name];
  return typeof v === 'string' ? v : undefined;
}

function strings(ctx: CliContext, name: string): string[] | undefined {
  const v = ctx.flags[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : undefined;
}

function num(ctx: CliContext, name: string): number | undefined {
  const v = str(ctx, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new AppFailure('ipc/bad-args', `--${name} needs a number, got "${v}"`);
  return n;
}

/** The dataset file a command reads: `--db`, else `dataset.sqlite` in `--data-dir` (or the app's data folder). */
function datasetFile(ctx: CliContext): string {
  const db = str(ctx, 'db');
  if (db) return path.resolve(db);
  return path.join(path.resolve(str(ctx, 'data-dir') ?? defaultDataDir()), 'dataset.sqlite');
}

/**
 * A client of the dataset file (its own worker; images next to the file). Only `import` may create a dataset:
 * reading commands refuse a missing file by name instead of creating an empty data folder.
 */
async function openDataset(ctx: CliContext): Promise<{ file: string; client: CliClient<DatasetContract>; close(): Promise<void> }> {
  const file = datasetFile(ctx);
  if (ctx.positionals[0] !== 'import' && !existsSync(file))
    throw new AppFailure('io/not-found', `No dataset at ${file} (pass --db FILE or --data-dir DIR; \`slime dataset import\` creates one).`);
  const worker = startDatasetWorker({ dataDir: path.dirname(file), dbPath: file });
  const scorer: Parameters<typeof createDatasetService>[0]['scorer'] = async (...args) =>
    inferenceScorer((await ctx.services()).inferenceClient, str(ctx, 'model-dir') ?? DEFAULT_MODEL_DIR)(...args);
  const router = createRouter([bind(datasetContract, createDatasetService({ worker, emit: () => {}, scorer }))]);
  return { file, client: clientFor(router, datasetContract), close: () => worker.stop() };
}

function printStats(ctx: CliContext, s: DatasetStats): void {
  ctx.out(`examples   ${s.examples} (${s.deleted} in the trash)`);
  ctx.out(
    `status     ${Object.entries(s.byStatus)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  ctx.out(
    `answers    ${Object.entries(s.byAnswerSource)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  ctx.out(`images     ${s.images}, regions ${s.regions}, turns ${s.turns}`);
  ctx.out(`scored     ${s.scored}${s.meanDetailScore === null ? '' : ` (mean detail score ${s.meanDetailScore.toFixed(4)})`}`);
  ctx.out(`tags       ${s.tags.map((t) => `${t.name} ${t.count}`).join(', ') || 'none'}`);
  ctx.out(`chats      ${s.conversations} conversations, ${s.messages} messages`);
}

/** `dataset stats`: the counts, headed by the database file they were read from. */
async function stats(ctx: CliContext, client: CliClient<DatasetContract>, file: string): Promise<number> {
  const s = await client.stats();
  if (ctx.json) ctx.out(JSON.stringify({ database: file, ...s }));
  else {
    ctx.out(`database   ${file}`);
    printStats(ctx, s);
  }
  return 0;
}

/** `dataset import FILE`: the report of imported, rejected, duplicate and normalised records. */
async function importCmd(ctx: CliContext, client: CliClient<DatasetContract>, arg: string | undefined): Promise<number> {
  if (!arg) throw new AppFailure('ipc/bad-args', `dataset import needs a FILE\nUsage: ${USAGE}`);
  const r = await client.importDataset({ file: path.resolve(arg), ...(strings(ctx, 'tag') ? { tags: strings(ctx, 'tag') } : {}) });
  if (ctx.json)
    ctx.out(
      JSON.stringify({
        imported: r.imported,
        rejected: r.rejected,
        normalised: r.normalised,
        duplicates: r.duplicates,
        exported: 0,
        format: r.format,
      }),
    );
  else {
    ctx.out(
      `imported ${r.imported} records (${r.format}), rejected ${r.rejected.length}, duplicates ${r.duplicates.length}, normalised ${r.normalised.length}`,
    );
    for (const x of r.rejected) ctx.out(`  rejected ${x.id}: ${x.reason}`);
    for (const x of r.duplicates) ctx.out(`  duplicate ${x.id}: ${x.reason}`);
    for (const x of r.normalised) ctx.out(`  normalised ${x.id}: ${x.note}`);
  }
  return 0;
}

/** `dataset export`: refuses a non-empty folder without --overwrite. */
async function exportCmd(ctx: CliContext, client: CliClient<DatasetContract>): Promise<number> {
  const format = str(ctx, 'format') as ExportFormat | undefined;
  const out = str(ctx, 'out');
  if (!format || !out) throw new AppFailure('ipc/bad-args', `dataset export needs --format and --out\nUsage: ${USAGE}`);
  const filter = {
    tags: strings(ctx, 'tag'),
    status: strings(ctx, 'status') as ReviewStatus[] | undefined,
    minDetail: num(ctx, 'min-detail'),
  };
  const r = await client
    .exportDataset({
      format,
      outDir: path.resolve(out),
      filter,
      valFraction: num(ctx, 'val-fraction'),
      seed: num(ctx, 'seed'),
      overwrite: ctx.flags.overwrite === true,
    })
    .catch((thrown: unknown) => {
      if ((thrown as { code?: unknown }).code !== 'dataset/not-empty') throw thrown;
      throw new AppFailure('dataset/not-empty', `${(thrown as Error).message} Pass --overwrite to write into it anyway.`);
    });
  if (ctx.json)
    ctx.out(
      JSON.stringify({
        imported: 0,
        rejected: r.rejected,
        exported: r.exported,
        train: r.train,
        val: r.val,
        images: r.images,
        files: r.files,
        outDir: r.outDir,
        snapshotSha256: r.snapshotSha256,
      }),
    );
  else {
    ctx.out(`exported ${r.exported} records (${r.train} train, ${r.val} validation, ${r.images} images) as ${r.format} to ${r.outDir}`);
    for (const x of r.rejected) ctx.out(`  rejected ${x.id}: ${x.reason}`);
  }
  return 0;
}

async function run(ctx: CliContext, client: CliClient<DatasetContract>, file: string): Promise<number> {
  const [sub, arg] = ctx.positionals;
  if (sub === 'import') return importCmd(ctx, client, arg);
  if (sub === 'export') return exportCmd(ctx, client);
  if (sub === 'stats') return stats(ctx, client, file);
  if (sub === 'score') {
    const r: ScoreSummary = await client.scoreDetail({ rescore: ctx.flags.rescore === true });
    if (ctx.json) ctx.out(JSON.stringify(r));
    else ctx.out(`scored ${r.scored}, failed ${r.failed.length}, remaining ${r.remaining}${r.cancelled ? ' (cancelled)' : ''}`);
    return r.failed.length > 0 ? 1 : 0;
  }
  throw new AppFailure('ipc/bad-args', `unknown dataset subcommand "${sub ?? ''}"\nUsage: ${USAGE}`);
}

/** `slime dataset …` */
export const datasetCommand: CliCommand = {
  name: 'dataset',
  summary: 'Import, export, score and count the curated dataset',
  usage: USAGE,
  options: {
    db: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    tag: { type: 'string', multiple: true },
    status: { type: 'string', multiple: true },
    'min-detail': { type: 'string' },
    'val-fraction': { type: 'string' },
    seed: { type: 'string' },
    rescore: { type: 'boolean' },
    overwrite: { type: 'boolean' },
    ...MINE_OPTIONS,
  },
  async run(ctx) {
    if (['ask-folder', 'jobs', 'signals'].includes(ctx.positionals[0] ?? '')) return runMine(ctx, datasetFile(ctx));
    const { file, client, close } = await openDataset(ctx);
    try {
      return await run(ctx, client, file);
    } finally {
      await close();
    }
  },
};
