// CLI (plain Node): `slime convert` — converts a downloaded SliME checkpoint through the same `convert` service as
// Settings → Models (checks, the supervised `python -m models.export` job, progress, Ctrl-C cancels and removes the
// partial output) and adds the finished folder to the app's model list.
import type { CliCommand, CliContext } from '../command.ts';
import { AppFailure } from '../../shared/errors.ts';
import { eventChannel } from '../../shared/ipc/contract.ts';
import { convertContract, type ConvertJob } from '../../shared/ipc/convert.ts';
import path from 'node:path';

const USAGE = 'slime convert --checkpoint DIR --clip DIR [--dtype int4|fp16] [--out DIR] [--name NAME] [--data-dir DIR] [--json]';

function str(ctx: CliContext, name: string): string | undefined {
  const v = ctx.flags[name];
  return typeof v === 'string' ? v : undefined;
}

/** One progress line: stage, percent, layer, ETA, the converter's message. */
export function progressLine(job: ConvertJob): string {
  const pct = `${(job.fraction * 100).toFixed(0).padStart(3)}%`;
  const layer = job.layer ? ` layer ${job.layer.index}/${job.layer.of}` : '';
  const eta = job.etaSeconds !== null ? ` ETA ${Math.round(job.etaSeconds)} s` : '';
  return `[${pct}] ${job.stage}${layer}${eta} (${job.elapsedSeconds.toFixed(0)} s) ${job.message}`;
}

/** `slime convert …` */
export const convertCommand: CliCommand = {
  name: 'convert',
  summary: 'Convert a released SliME checkpoint (+ CLIP-L/336 folder) into a model folder and add it to the model list',
  usage: USAGE,
  options: {
    checkpoint: { type: 'string' },
    clip: { type: 'string' },
    dtype: { type: 'string' },
    out: { type: 'string' },
    name: { type: 'string' },
  },
  async run(ctx) {
    const checkpoint = str(ctx, 'checkpoint');
    const clip = str(ctx, 'clip');
    const dtype = str(ctx, 'dtype') ?? 'int4';
    if (!checkpoint || !clip) throw new AppFailure('ipc/bad-args', `--checkpoint and --clip are required. Usage: ${USAGE}`);
    if (dtype !== 'int4' && dtype !== 'fp16') throw new AppFailure('ipc/bad-args', `--dtype must be int4 or fp16, got "${dtype}"`);
    const out = str(ctx, 'out');
    const name = str(ctx, 'name');
    const services = await ctx.services();
    const client = await ctx.client(convertContract);
    const job = await client.start({
      checkpoint: path.resolve(checkpoint),
      clip: path.resolve(clip),
      dtype,
      ...(out ? { out: path.resolve(out) } : {}),
      ...(name ? { name } : {}),
    });
    ctx.err(`converting ${job.request.checkpoint} → ${job.request.out} (${dtype})`);
    const off = services.subscribe((channel, payload) => {
      const p = payload as ConvertJob;
      if (channel === eventChannel('convert', 'progress') && p.jobId === job.jobId && p.status === 'running' && !ctx.json)
        ctx.err(progressLine(p));
    });
    const onSigint = (): void => void client.cancel(job.jobId);
    process.once('SIGINT', onSigint);
    let end: ConvertJob;
    try {
      end = await client.wait(job.jobId);
    } finally {
      process.off('SIGINT', onSigint);
      off();
    }
    if (ctx.json) ctx.out(JSON.stringify(end));
    if (end.status === 'done') {
      if (!ctx.json) ctx.out(`${end.modelDir} (added to the model list)`);
      return 0;
    }
    if (ctx.json) return 1;
    throw new AppFailure(end.error?.code ?? 'convert/failed', end.error?.message ?? `conversion ${end.status}`);
  },
};
