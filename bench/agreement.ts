// Figure (plain Node, `node bench/agreement.ts [--json]`): how often the selector's hottest cells are the ones the
// answer depended on, over the 12 SliME-Nano samples. Each question is asked as shipped (greedy), then the occlusion
// job explains the answer per tile and per 2×2 block; per sample: the agreement (precision at k of the groups with the
// most selector probability among the groups whose removal lowered the answer's log-probability most, the figure the
// inspector shows), whether the group the answer depended on most lies on a tile holding the named object, and
// whether the selector's hottest group does. Prints per sample and the means / counts, with the agreement a random
// ranking would reach (k / groups) beside it.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../electron/inference/engine.ts';
import type { OcclusionResult } from '../electron/shared/ipc/inference.ts';
import { NANO, nanoSamples, tilesHolding } from './nanoSamples.ts';

const { values } = parseArgs({ options: { json: { type: 'boolean' } } });
const log = (s: string): void => void (values.json ? process.stderr : process.stdout).write(`${s}\n`);
const live = (): AbortSignal => new AbortController().signal;
const none = (): void => undefined;

interface Row {
  image: string;
  family: string;
  answer: string;
  objectTiles: number[];
  tile: Figures;
  block: Figures;
}
interface Figures {
  groups: number;
  k: number;
  agreement: number | null;
  /** The most-depended-on group lies on a tile holding the object. */
  dropTopOnObject: boolean;
  /** The group with the most selector probability lies on a tile holding the object. */
  selectorTopOnObject: boolean;
}

function figures(o: OcclusionResult, objectTiles: number[]): Figures {
  const on = (g: number | undefined): boolean => g !== undefined && objectTiles.includes(o.groups[g]!.tile);
  return {
    groups: o.groups.length,
    k: o.agreement.k,
    agreement: o.agreement.value,
    dropTopOnObject: on(o.agreement.dropTop[0]),
    selectorTopOnObject: on(o.agreement.selectorTop[0]),
  };
}

const engine = new Engine();
await engine.load({ modelDir: NANO, providers: ['cpu'] });
const rows: Row[] = [];
for (const s of nanoSamples()) {
  const image = { path: path.join(NANO, 'samples', s.image) };
  const asked = await engine.ask({ requestId: s.image, image, question: s.question }, live(), none);
  const objectTiles = tilesHolding(asked.inspection, s.box);
  const occlude = (granularity: 'tile' | 'block') =>
    engine.occlusion(
      { requestId: `${s.image}-${granularity}`, image, question: s.question, tokenIds: asked.tokenIds, granularity },
      live(),
      none,
    );
  rows.push({
    image: s.image,
    family: s.family,
    answer: asked.answer,
    objectTiles: objectTiles.map((t) => t + 1),
    tile: figures(await occlude('tile'), objectTiles),
    block: figures(await occlude('block'), objectTiles),
  });
}
await engine.unload();

const pct = (v: number | null): string => (v === null ? 'n/a' : `${(100 * v).toFixed(0)}%`);
for (const r of rows)
  log(
    `${r.image.padEnd(16)} ${r.family.padEnd(8)} object tiles ${r.objectTiles.join('+').padEnd(10)} ` +
      `tile: agreement ${pct(r.tile.agreement).padStart(4)} (k=${r.tile.k} of ${r.tile.groups}), top drop on object ${r.tile.dropTopOnObject ? 'yes' : 'no '}, selector top on object ${r.tile.selectorTopOnObject ? 'yes' : 'no '}; ` +
      `block: agreement ${pct(r.block.agreement).padStart(4)} (k=${r.block.k} of ${r.block.groups})`,
  );
const summarise = (key: 'tile' | 'block') => {
  const values = rows.map((r) => r[key].agreement).filter((v): v is number => v !== null);
  return {
    n: rows.length,
    meanAgreement: values.reduce((a, b) => a + b, 0) / Math.max(1, values.length),
    /** What a selector ranking the groups at random would score on average (k / groups per sample). */
    meanChance: rows.reduce((a, r) => a + (r[key].groups ? r[key].k / r[key].groups : 0), 0) / Math.max(1, rows.length),
    dropTopOnObject: rows.filter((r) => r[key].dropTopOnObject).length,
    selectorTopOnObject: rows.filter((r) => r[key].selectorTopOnObject).length,
  };
};
const summary = { tile: summarise('tile'), block: summarise('block') };
for (const [key, c] of Object.entries(summary))
  log(
    `${key.padEnd(5)} n=${c.n}: mean agreement ${pct(c.meanAgreement)} (chance ${pct(c.meanChance)}); the group the answer depended on most lies on the object's tile ${c.dropTopOnObject}/${c.n}; ` +
      `the selector's hottest group does ${c.selectorTopOnObject}/${c.n}`,
  );
if (values.json) process.stdout.write(`${JSON.stringify({ rows, summary }, null, 1)}\n`);
