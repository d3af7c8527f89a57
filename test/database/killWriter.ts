// Test child (plain Node): writes examples in a loop through the real query code the worker runs (batched inserts in
// one transaction, edits, bulk tag/status changes) and prints each committed batch after COMMIT returns;
// test/integration/databaseKill.test.ts SIGKILLs it at random points. It skips the handler table only so that it
// does not load sharp, which would slow each of the 100 starts.
import fs from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../../database/connection.ts';
import { insertExample, setStatus, touch, updateExample } from '../../database/queries/examples.ts';
import { addTags } from '../../database/queries/tags.ts';

/** The turns an example with external id `extId` must have: original (`edited` false) or after an edit. */
export function expectedTurns(extId: string, edited: boolean): { question: string; answer: string }[] {
  const seq = Number(extId.split('-').pop());
  const n = edited ? (seq % 3) + 1 : (seq % 4) + 1;
  return Array.from({ length: n }, (_, j) => ({
    question: `q${j} ${extId}`,
    answer: `${edited ? 'edited' : 'answer'}${j} ${extId} ${'detail '.repeat(j * 5)}`,
  }));
}

function main(): void {
  const [file, iteration] = process.argv.slice(2);
  const { db } = openDatabase(file!);
  const say = (line: string): void => {
    fs.writeSync(1, `${line}\n`);
  };
  say('ready');
  let seq = 0;
  const mine: number[] = [];
  for (;;) {
    const size = 1 + (seq % 17);
    const batch = Array.from({ length: size }, () => `k-${iteration}-${seq++}`);
    const tagIds = new Map<string, number>();
    const ids = db.transaction(() =>
      batch.map((extId) =>
        insertExample(
          db,
          {
            externalId: extId,
            imageSha256: null,
            system: null,
            sourceMessageId: null,
            answerSource: 'human',
            status: 'draft',
            notes: `batch of ${size}`,
            provenance: {},
            turns: expectedTurns(extId, false),
            tags: [`t${seq % 5}`],
          },
          Date.now(),
          tagIds,
        ),
      ),
    )();
    mine.push(...ids);
    say(`C ${batch.join(',')}`);
    if (seq % 3 === 0) {
      const id = mine[seq % mine.length]!;
      const extId = (db.prepare('SELECT external_id FROM examples WHERE id = ?').get(id) as { external_id: string }).external_id;
      updateExample(db, id, { turns: expectedTurns(extId, true), status: 'accepted' }, Date.now());
      say(`E ${extId}`);
    }
    if (seq % 7 === 0) {
      const recent = mine.slice(-10);
      db.transaction(() => {
        addTags(db, recent, ['bulk']);
        setStatus(db, recent, 'needs-review', Date.now());
        touch(db, recent, Date.now());
      })();
    }
  }
}

// Runs only as the forked child, not when the test imports expectedTurns.
if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) main();
