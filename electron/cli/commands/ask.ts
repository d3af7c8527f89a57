// CLI (plain Node): `slime ask` — asks the inference service about an image, streams the answer, optionally
// prints one JSON object and draws the selector heatmap with the tile grid onto the image (sharp).
import { existsSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { CliCommand, CliContext } from '../command.ts';
import { AppFailure, toAppError } from '../../shared/errors.ts';
import { eventChannel } from '../../shared/ipc/contract.ts';
import { inferenceContract, type AskResult, type InspectionRecord, type TokenEvent } from '../../shared/ipc/inference.ts';
import { LEGEND_HEIGHT, LEGEND_MIN_WIDTH, heatmapSvg } from '../../shared/heatmap.ts';
import { DEFAULT_MODEL_DIR, REPO_ROOT, defaultDataDir } from '../../node/paths.ts';
import { readSettings } from '../../node/settingsStore.ts';

const USAGE = 'slime ask --image FILE --question TEXT [--model-dir DIR] [--json] [--heatmap OUT.png] [--top-p X] [--max-tokens N]';

/** The default model: the shipped SliME-Nano when it is there, else the tiny test fixture. */
export function defaultAskModel(): string {
  return existsSync(path.join(DEFAULT_MODEL_DIR, 'manifest.json'))
    ? DEFAULT_MODEL_DIR
    : path.join(REPO_ROOT, 'test', 'fixtures', 'slime-tiny');
}

function str(ctx: CliContext, name: string): string | undefined {
  const v = ctx.flags[name];
  return typeof v === 'string' ? v : undefined;
}

function num(ctx: CliContext, name: string, min: number, max: number, integer: boolean): number | undefined {
  const v = str(ctx, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new AppFailure('ipc/bad-args', `--${name} needs ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got "${v}"`);
  }
  return n;
}

/** The compact summary `--json` prints. */
export function askSummary(r: AskResult): Record<string, unknown> {
  const i = r.inspection;
  const providers = [...new Set(i.providers.map((p) => p.provider))];
  return {
    answer: r.answer,
    error: null,
    grid: { cols: i.grid.cols, rows: i.grid.rows, tiles: i.grid.tiles, original: i.original, tiles_px: i.tiles },
    tokens: i.tokens,
    timings: i.timings,
    provider: providers.length === 1 ? providers[0] : Object.fromEntries(i.providers.map((p) => [p.graph, p.provider])),
    model: r.model,
  };
}

/**
 * Writes the image (EXIF-oriented) with the heatmap overlay, tile grid and legend band (the renderer shared with the
 * inspector's PNG export) to `out` as PNG; the band below the photo names the scale, the hatching and `caption`.
 */
export async function writeHeatmap(imagePath: string, inspection: InspectionRecord, out: string, caption?: string): Promise<void> {
  const { width, height } = inspection.original;
  const svg = Buffer.from(heatmapSvg(inspection, { kind: 'selector' }, { legend: true, ...(caption ? { caption } : {}) }));
  const photo = await sharp(imagePath, { pages: 1 }).autoOrient().resize(width, height, { fit: 'fill' }).png().toBuffer();
  await sharp({ create: { width: Math.max(width, LEGEND_MIN_WIDTH), height: height + LEGEND_HEIGHT, channels: 3, background: '#fff' } })
    .composite([
      { input: photo, top: 0, left: 0 },
      { input: svg, top: 0, left: 0 },
    ])
    .png()
    .toFile(out);
}

function streamWriter(ctx: CliContext): { push(text: string): void; end(): void } {
  if (process.stdout.isTTY && !ctx.json) {
    return { push: (t) => void process.stdout.write(t), end: () => void process.stdout.write('\n') };
  }
  let line = '';
  return {
    push: (t) => {
      line += t;
      const lines = line.split('\n');
      line = lines.pop() ?? '';
      for (const l of lines) ctx.out(l);
    },
    end: () => ctx.out(line),
  };
}

/** `slime ask …` */
export const askCommand: CliCommand = {
  name: 'ask',
  summary: 'Ask a question about an image with the local SliME model (streams the answer)',
  usage: USAGE,
  options: {
    image: { type: 'string' },
    question: { type: 'string' },
    heatmap: { type: 'string' },
    'top-p': { type: 'string' },
    'max-tokens': { type: 'string' },
  },
  async run(ctx) {
    try {
      const image = str(ctx, 'image');
      const question = str(ctx, 'question');
      if (!image || question === undefined) throw new AppFailure('ipc/bad-args', `--image and --question are required. Usage: ${USAGE}`);
      const topP = num(ctx, 'top-p', 0.01, 1, false);
      const maxNewTokens = num(ctx, 'max-tokens', 1, 8192, true);
      const dataDir = str(ctx, 'data-dir') ?? defaultDataDir();
      const modelDir = path.resolve(str(ctx, 'model-dir') ?? (await readSettings(dataDir)).selectedModel ?? defaultAskModel());
      const requestId = `cli-${process.pid}-${Date.now()}`;
      const writer = streamWriter(ctx);
      const services = await ctx.services();
      const unsubscribe = services.subscribe((channel, payload) => {
        if (channel !== eventChannel('inference', 'token')) return;
        const ev = payload as TokenEvent;
        if (ev.requestId === requestId && !ctx.json) writer.push(ev.text);
      });
      const client = await ctx.client(inferenceContract);
      let result: AskResult;
      try {
        result = await client.ask({
          requestId,
          modelDir,
          image: { path: path.resolve(image) },
          question,
          ...(maxNewTokens ? { sampling: { maxNewTokens } } : {}),
          ...(topP !== undefined ? { selector: { topP } } : {}),
        });
      } finally {
        unsubscribe();
      }
      if (!ctx.json) writer.end();
      const heatmap = str(ctx, 'heatmap');
      if (heatmap) await writeHeatmap(path.resolve(image), result.inspection, path.resolve(heatmap), question);
      if (ctx.json) ctx.out(JSON.stringify(askSummary(result)));
      else
        ctx.err(
          `[${result.inspection.grid.cols}×${result.inspection.grid.rows} tiles, ${result.inspection.tokens.localAfter}/${result.inspection.tokens.localBefore} local tokens kept, ${result.inspection.tokens.generated} generated, ${result.inspection.timings.total.toFixed(0)} ms${heatmap ? `, heatmap → ${heatmap}` : ''}]`,
        );
      return 0;
    } catch (thrown) {
      if (!ctx.json) throw thrown;
      const e = toAppError(thrown);
      ctx.out(
        JSON.stringify({
          answer: null,
          error: { code: e.code, message: e.message },
          grid: null,
          tokens: null,
          timings: null,
          provider: null,
        }),
      );
      return e.code === 'ipc/bad-args' ? 2 : 1;
    }
  },
};
