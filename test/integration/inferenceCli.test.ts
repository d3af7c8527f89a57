// Integration: `slime ask` end to end (CLI → services → forked inference process) on the slime-tiny model:
// --json summary, --heatmap file, and clean non-zero exits with the error code and no stack trace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { runCli } from '../../electron/cli/main.ts';
import { LEGEND_HEIGHT, LEGEND_MIN_WIDTH } from '../../electron/shared/heatmap.ts';

const MODEL = path.resolve(import.meta.dirname, '../fixtures/slime-tiny');
const IMAGE = path.join(MODEL, 'images', 'tall.png');
let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'slime-ask-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function ask(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['ask', '--data-dir', tmp, '--model-dir', MODEL, ...args], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out, err };
}

describe('slime ask', () => {
  it('--json prints one object with answer, error, grid, tokens, timings, provider; --heatmap writes the image', async () => {
    const heat = path.join(tmp, 'heat.png');
    const r = await ask(
      '--image',
      IMAGE,
      '--question',
      'What color is the small square?',
      '--json',
      '--max-tokens',
      '5',
      '--top-p',
      '0.9',
      '--heatmap',
      heat,
    );
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(1);
    const j = JSON.parse(r.out[0]!) as Record<string, unknown> & {
      grid: { cols: number; rows: number };
      tokens: { generated: number; localAfter: number; localBefore: number };
    };
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['answer', 'error', 'grid', 'tokens', 'timings', 'provider']));
    expect(j.error).toBeNull();
    expect([j.grid.cols, j.grid.rows]).toEqual([2, 2]);
    expect(j.tokens.generated).toBeLessThanOrEqual(5);
    expect(j.tokens.localAfter).toBeLessThan(j.tokens.localBefore);
    const meta = await sharp(heat).metadata();
    // The 90×160 photo with the legend band below it (widened to the band's minimum width).
    expect([meta.format, meta.width, meta.height]).toEqual(['png', Math.max(90, LEGEND_MIN_WIDTH), 160 + LEGEND_HEIGHT]);
  });

  it('streams the answer as text without --json', async () => {
    const r = await ask('--image', IMAGE, '--question', 'How many circles are there?', '--max-tokens', '4');
    expect(r.code).toBe(0);
    expect(r.err.join('\n')).toMatch(/2×2 tiles, \d+\/64 local tokens kept/);
  });

  it('a missing image exits 1 with the code and no stack trace', async () => {
    const r = await ask('--image', path.join(tmp, 'nope.jpg'), '--question', 'Hi?');
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toContain('error [image/not-found]');
    expect(r.err.join('\n')).not.toMatch(/\n\s+at /);
  });

  it('--json errors are one object with error.code and a non-zero exit', async () => {
    writeFileSync(path.join(tmp, 'fake.png'), 'text');
    const r = await ask('--image', path.join(tmp, 'fake.png'), '--question', 'Hi?', '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out[0]!) as { answer: null; error: { code: string } };
    expect([j.answer, j.error.code]).toEqual([null, 'image/unsupported']);
  });

  it('bad flags exit 2 with ipc/bad-args', async () => {
    const r = await ask('--image', IMAGE, '--question', 'Hi?', '--top-p', 'lots');
    expect(r.code).toBe(2);
    expect(r.err.join('\n')).toContain('error [ipc/bad-args]');
  });
});
