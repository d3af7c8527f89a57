// Figure (plain Node, `node bench/nanoTiles.ts [--json]`): on the 12 SliME-Nano samples (models/nano/samples, boxes of
// the named object from samples.json), ask each question as shipped, then (a) drop the tile(s) holding the named
// object from the kept set, (b) keep only those tiles, (c) the global view only — through the engine's kept-set
// override, greedy. Prints per sample and per family: does dropping change the answer, does keeping only the tile
// preserve it, and is each answer right. `--check` exits 1 unless, over the glyph and colour samples, dropping the tile
// changes every answer and keeping only it preserves most (issue 17's criterion).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../electron/inference/engine.ts';
import { NANO, nanoSamples, tilesHolding } from './nanoSamples.ts';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, check: { type: 'boolean' } } });
const log = (s: string): void => void (values.json ? process.stderr : process.stdout).write(`${s}\n`);
const samples = nanoSamples();

const engine = new Engine();
await engine.load({ modelDir: NANO, providers: ['cpu'] });
const live = (): AbortSignal => new AbortController().signal;
const norm = (s: string): string =>
  s
    .trim()
    .toLowerCase()
    .replace(/[.!]+$/, '');
interface Row {
  image: string;
  family: string;
  question: string;
  truth: string;
  tiles: number[];
  grid: string;
  shipped: string;
  dropTile: string;
  keepOnlyTile: string;
  globalOnly: string;
  dropChanges: boolean;
  keepOnlyPreserves: boolean;
  shippedRight: boolean;
}
const rows: Row[] = [];
for (const s of samples) {
  const image = { path: path.join(NANO, 'samples', s.image) };
  const ask = async (keep?: number[]) =>
    engine.ask({ requestId: s.image, image, question: s.question, ...(keep ? { selector: { keep } } : {}) }, live(), () => undefined);
  const shipped = await ask();
  const rec = shipped.inspection;
  const tiles = tilesHolding(rec, s.box);
  const inTiles = rec.selector.tile.flatMap((t, j) => (tiles.includes(t) ? [j] : []));
  const kept = rec.selector.kept.flatMap((k, j) => (k ? [j] : []));
  const dropped = await ask(kept.filter((j) => !inTiles.includes(j)));
  const only = await ask(inTiles);
  const global = await ask([]);
  rows.push({
    image: s.image,
    family: s.family,
    question: s.question,
    truth: s.answer,
    tiles: tiles.map((t) => t + 1),
    grid: `${rec.grid.cols}×${rec.grid.rows}`,
    shipped: shipped.answer,
    dropTile: dropped.answer,
    keepOnlyTile: only.answer,
    globalOnly: global.answer,
    dropChanges: norm(dropped.answer) !== norm(shipped.answer),
    keepOnlyPreserves: norm(only.answer) === norm(shipped.answer),
    shippedRight: norm(shipped.answer) === norm(s.answer),
  });
}
await engine.unload();

for (const r of rows)
  log(
    `${r.image.padEnd(16)} ${r.family.padEnd(8)} tiles ${r.tiles.join('+').padEnd(5)} of ${r.grid}  shipped ${JSON.stringify(r.shipped).padEnd(14)} ` +
      `drop-tile ${JSON.stringify(r.dropTile).padEnd(14)} keep-only ${JSON.stringify(r.keepOnlyTile).padEnd(14)} global ${JSON.stringify(r.globalOnly)}`,
  );
const families = [...new Set(rows.map((r) => r.family))];
const summary = Object.fromEntries(
  families.map((f) => {
    const fr = rows.filter((r) => r.family === f);
    return [
      f,
      {
        n: fr.length,
        dropChanges: fr.filter((r) => r.dropChanges).length,
        keepOnlyPreserves: fr.filter((r) => r.keepOnlyPreserves).length,
        shippedRight: fr.filter((r) => r.shippedRight).length,
      },
    ];
  }),
);
for (const [f, c] of Object.entries(summary))
  log(
    `${f.padEnd(8)} n=${c.n}: dropping the object's tile changes the answer ${c.dropChanges}/${c.n}; keeping only it preserves it ${c.keepOnlyPreserves}/${c.n}; shipped answer right ${c.shippedRight}/${c.n}`,
  );
if (values.json) process.stdout.write(`${JSON.stringify({ rows, summary }, null, 1)}\n`);
if (values.check) {
  const detail = rows.filter((r) => r.family === 'glyph' || r.family === 'colour');
  const ok = detail.every((r) => r.dropChanges) && detail.filter((r) => r.keepOnlyPreserves).length * 2 > detail.length;
  log(ok ? 'check: passed' : 'check: FAILED');
  if (!ok) process.exitCode = 1;
}
