// Parity: the kept-set override and first-step probabilities of the TypeScript engine against the Python reference
// pipeline (models/ort_pipeline.py, goldens written by `python -m models.keep_goldens`) on the slime-tiny fixture.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Engine } from '../../../../electron/inference/engine.ts';

const DIR = path.resolve(import.meta.dirname, '../../../fixtures/slime-tiny');
const FILE = path.join(DIR, 'keep_goldens.json');
const HAVE = existsSync(FILE);

/**
 * Written tolerance: both sides run the same graphs on onnxruntime's CPU provider (the Python wheel vs the Node
 * binding), so first-step probabilities agree to rounding; measured max relative |Δp| (printed) was 1.6e-15.
 */
const TOL = { probRel: 1e-5 };

interface Case {
  image: string;
  name: string;
  keep: number[] | null;
  local_before: number;
  seq_len: number;
  first_step: { top: { id: number; prob: number }[]; probe: { id: number; prob: number } };
  tokens: number[];
}
const goldens = HAVE
  ? (JSON.parse(readFileSync(FILE, 'utf8')) as { question: string; max_new_tokens: number; cases: Case[] })
  : { question: '', max_new_tokens: 0, cases: [] as Case[] };

const engine = new Engine();
let worst = 0;
beforeAll(async () => {
  if (HAVE) await engine.load({ modelDir: DIR, providers: ['cpu'] });
});
afterAll(async () => {
  await engine.unload();
  if (HAVE) console.info('keep-override parity, max relative |Δp|:', worst);
});

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);

describe.skipIf(!HAVE)('kept-set override parity with models/ort_pipeline.py', () => {
  it.each(goldens.cases.map((c) => [c.image, c.name, c] as const))(
    '%s, keep %s: rows, first-step probabilities, greedy tokens',
    async (_i, _n, c) => {
      const r = await engine.ask(
        {
          requestId: `${c.image}-${c.name}`,
          image: { path: path.join(DIR, 'images', `${c.image}.png`) },
          question: goldens.question,
          sampling: { maxNewTokens: goldens.max_new_tokens },
          selector: c.keep === null ? {} : { keep: c.keep },
          probeTokenId: c.first_step.probe.id,
        },
        new AbortController().signal,
        () => undefined,
      );
      expect(r.inspection.tokens.localBefore).toBe(c.local_before);
      expect(r.inspection.tokens.prefill).toBe(c.seq_len);
      expect(r.tokenIds).toEqual(c.tokens);
      const mine = r.inspection.firstStep!;
      expect(mine.top.map((t) => t.id)).toEqual(c.first_step.top.map((t) => t.id));
      for (const [k, t] of c.first_step.top.entries()) {
        worst = Math.max(worst, rel(mine.top[k]!.prob, t.prob));
        expect(rel(mine.top[k]!.prob, t.prob)).toBeLessThanOrEqual(TOL.probRel);
      }
      expect(rel(mine.probe!.prob, c.first_step.probe.prob)).toBeLessThanOrEqual(TOL.probRel);
      expect(r.inspection.selector.override).toEqual(c.keep === null ? null : { kind: 'keep', count: c.keep.length });
    },
  );
});
