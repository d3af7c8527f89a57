// Test child (plain Node): writes examples in a loop through the real database code and prints each committed
// batch after COMMIT returns; test/integration/databaseKill.test.ts SIGKILLs it at random points.
import fs from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../../database/connection.ts';
import { handlers, type DbContext, type JobContext } from '../../database/handlers.ts';

/** The turns an example with external id `extId` must have: original (`edited` false) or after an edit. */
export function expectedTurns(extId: string, edited: boolean): { question: string; answer: string }[] {
  const seq = Number(extId.split('-').pop());
  const n = edited ? (seq % 3) + 1 : (seq % 4) + 1;
  return Array.from({ length: n }, (_, j) => ({
    question: `q${j} ${extId}`,
    answer: `${edited ? 'edited' : 'answer'}${j} ${extId} ${'detail '.repeat(j * 5)}`,
  }));
}

async function main(): Promise<void> {
  const [file, iteration] = process.argv.slice(2);
  const { db, health } = openDatabase(file!);
  const ctx: DbContext = { db, health, imagesDir: path.join(path.dirname(file!), 'images'), now: () => Date.now() };
  const job: JobContext = { signal: new AbortController().signal, emit: () => {} };
  const say = (line: string): void => {
    fs.writeSync(1, `${line}\n`);
  };
  say('ready');
  let seq = 0;
  const mine: number[] = [];
  for (;;) {
    const size = 1 + (seq % 17);
    const batch = Array.from({ length: size }, () => {
      const extId = `k-${iteration}-${seq++}`;
      return { externalId: extId, imageSha256: null, turns: expectedTurns(extId, false), tags: [`t${seq % 5}`], notes: `batch of ${size}` };
    });
    const ids = handlers.createExamples(ctx, job, batch) as number[];
    mine.push(...ids);
    say(`C ${batch.map((b) => b.externalId).join(',')}`);
    if (seq % 3 === 0 && mine.length > 0) {
      const id = mine[seq % mine.length]!;
      const extId = (db.prepare('SELECT external_id FROM examples WHERE id = ?').get(id) as { external_id: string }).external_id;
      await handlers.updateExample(ctx, job, id, { turns: expectedTurns(extId, true), status: 'accepted' });
      say(`E ${extId}`);
    }
    if (seq % 7 === 0) handlers.bulkUpdate(ctx, job, mine.slice(-10), { addTags: ['bulk'], status: 'needs-review' });
  }
}

// Runs only as the forked child, not when the test imports expectedTurns.
if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) void main();
