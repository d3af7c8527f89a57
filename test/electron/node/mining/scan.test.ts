// Unit: the folder scan (recursive, image types only, hidden entries skipped, stable order) and question files.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listImageFiles, questionsFor, readQuestionFile } from '../../../../electron/node/mining/scan.ts';
import { tempDir } from '../../../database/fixtures.ts';

describe('listImageFiles', () => {
  it('finds images recursively in a stable order and skips other files and hidden entries', async () => {
    const dir = tempDir('slime-scan-');
    for (const f of ['b.png', 'a.JPG', 'sub/c.webp', 'sub/deeper/d.bmp', 'sub/e.TGA', 'notes.txt', '.hidden/e.png', 'sub/.f.png']) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), 'x');
    }
    expect((await listImageFiles(dir)).map((f) => f.relative)).toEqual(['a.JPG', 'b.png', 'sub/c.webp', 'sub/deeper/d.bmp', 'sub/e.TGA']);
  });
  it('fails with io/not-found for a missing folder', async () => {
    await expect(listImageFiles('/no/such/folder')).rejects.toMatchObject({ code: 'io/not-found' });
  });
});

describe('question files', () => {
  it('reads one question per line, skipping blanks and # comments', async () => {
    const file = path.join(tempDir('slime-q-'), 'q.txt');
    fs.writeFileSync(file, '# questions\nWhat colour is it?\n\n  How many?  \r\n');
    expect(await readQuestionFile(file)).toEqual({ questions: ['What colour is it?', 'How many?'], perImage: {} });
  });
  it('reads a JSON list or an object with per-image questions', async () => {
    const dir = tempDir('slime-q-');
    fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify(['A?', 'B?']));
    expect((await readQuestionFile(path.join(dir, 'a.json'))).questions).toEqual(['A?', 'B?']);
    fs.writeFileSync(path.join(dir, 'b.json'), JSON.stringify({ questions: ['A?'], perImage: { 'sub\\x.png': ['C?', 'A?'] } }));
    const q = await readQuestionFile(path.join(dir, 'b.json'));
    expect(questionsFor('sub/x.png', q.questions, q.perImage)).toEqual(['A?', 'C?']);
    expect(questionsFor('other.png', q.questions, q.perImage)).toEqual(['A?']);
    fs.writeFileSync(path.join(dir, 'c.json'), JSON.stringify({ questions: [1] }));
    await expect(readQuestionFile(path.join(dir, 'c.json'))).rejects.toMatchObject({ code: 'ipc/bad-args' });
  });
});
