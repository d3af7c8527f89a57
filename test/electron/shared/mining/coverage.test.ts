// Unit: evidence coverage (electron/shared/mining/coverage.ts) on a real slime-tiny answer — the kept selection read
// from the inspection record, the cells under a box agree with the inspector's cell rectangles (so what the
// inspector draws is what the review queue counts), and coverage / "dropped evidence" per region.
import { beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Engine } from '../../../../electron/inference/engine.ts';
import type { InspectionRecord } from '../../../../electron/shared/ipc/inference.ts';
import { cellsUnder, evidenceDropped, keptSelection, regionCoverage } from '../../../../electron/shared/mining/coverage.ts';
import { tokenRect } from '../../../../renderer/src/features/inspector/geometry.ts';

const MODEL = path.resolve(import.meta.dirname, '../../../fixtures/slime-tiny');
let rec: InspectionRecord;

beforeAll(async () => {
  const engine = new Engine();
  await engine.load({ modelDir: MODEL, providers: ['cpu'] });
  const r = await engine.ask(
    {
      requestId: 'cov',
      image: { path: path.join(MODEL, 'images', 'wide.png') },
      question: 'What color is the small square?',
      selector: { topP: 0.5 },
      sampling: { maxNewTokens: 1 },
    },
    new AbortController().signal,
    () => undefined,
  );
  await engine.unload();
  rec = r.inspection;
});

/** Cell j's rectangle in original pixels, shrunk by `inset` on every side. */
function cellBox(j: number, inset: number, id = 1) {
  const r = tokenRect(rec, j);
  return { id, x1: r.x + inset, y1: r.y + inset, x2: r.x + r.width - inset, y2: r.y + r.height - inset };
}

describe('evidence coverage', () => {
  it('reads the kept cells and geometry from an inspection record', () => {
    const sel = keptSelection(rec)!;
    expect(sel.kept).toEqual(rec.selector.kept.flatMap((k, j) => (k ? [j] : [])));
    expect(sel.kept.length).toBe(rec.tokens.localAfter);
    expect(sel.kept.length).toBeLessThan(rec.tokens.localBefore);
    expect(keptSelection({ grid: rec.grid })).toBeNull();
  });

  it('finds exactly the cell whose inspector rectangle holds a box', () => {
    const sel = keptSelection(rec)!;
    let checked = 0;
    for (let j = 0; j < rec.selector.kept.length; j++) {
      const r = tokenRect(rec, j);
      if (r.width < 2 || r.height < 2) continue; // a cell wholly on padding has no rectangle on the image
      expect(cellsUnder(sel, cellBox(j, 0.5)), `cell ${j}`).toEqual([j]);
      checked++;
    }
    expect(checked).toBeGreaterThan(rec.tokens.localBefore / 2);
  });

  it('counts kept cells per region and flags regions below the threshold', () => {
    const sel = keptSelection(rec)!;
    const dropped = rec.selector.kept.findIndex((k, j) => k === 0 && tokenRect(rec, j).width >= 2);
    const kept = rec.selector.kept.findIndex((k, j) => k === 1 && tokenRect(rec, j).width >= 2);
    expect(dropped).toBeGreaterThanOrEqual(0);
    const whole = { id: 3, x1: 0, y1: 0, x2: rec.original.width, y2: rec.original.height };
    const cov = regionCoverage(sel, [cellBox(dropped, 0.5, 1), cellBox(kept, 0.5, 2), whole]);
    expect(cov.slice(0, 2)).toEqual([
      { regionId: 1, cells: 1, kept: 0, share: 0 },
      { regionId: 2, cells: 1, kept: 1, share: 1 },
    ]);
    const onImage = rec.selector.kept.map((_, j) => j).filter((j) => tokenRect(rec, j).width > 0 && tokenRect(rec, j).height > 0);
    expect(cov[2]).toMatchObject({ cells: onImage.length, kept: onImage.filter((j) => rec.selector.kept[j]).length });
    expect(evidenceDropped(cov)).toBe(true);
    expect(evidenceDropped(cov.slice(1))).toBe(false);
    expect(evidenceDropped([cov[2]!], 1)).toBe(true);
  });
});
