// Integration: `slime ask` on the slime-tiny model reads BMP and TGA files (written by Pillow from the same PNG) and
// gets what it gets from the PNG: same tile grid, same kept local tokens, same answer — the engine's decode of those
// formats gives the PNG's pixels.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../electron/cli/main.ts';

const MODEL = path.resolve(import.meta.dirname, '../fixtures/slime-tiny');
const PNG = path.join(MODEL, 'images', 'tall.png');
let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'slime-ask-formats-'));
  const save = 'import sys; from PIL import Image; im = Image.open(sys.argv[1]).convert("RGB"); [im.save(p) for p in sys.argv[2:]]';
  execFileSync(path.resolve('.venv/bin/python'), ['-c', save, PNG, path.join(tmp, 'tall.bmp'), path.join(tmp, 'tall.tga')]);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function ask(image: string): Promise<Record<string, unknown>> {
  const out: string[] = [];
  const args = ['ask', '--data-dir', tmp, '--model-dir', MODEL, '--image', image, '--question', 'What color is the small square?'];
  const code = await runCli([...args, '--json', '--max-tokens', '6'], { out: (l) => out.push(l), err: () => {} });
  expect(code).toBe(0);
  return JSON.parse(out[0]!) as Record<string, unknown>;
}

describe('slime ask with BMP and TGA', () => {
  it('answers from the same pixels as the PNG', async () => {
    const png = await ask(PNG);
    for (const file of ['tall.bmp', 'tall.tga']) {
      const other = await ask(path.join(tmp, file));
      expect([file, other.grid, other.tokens, other.answer]).toEqual([file, png.grid, png.tokens, png.answer]);
    }
  });
});
