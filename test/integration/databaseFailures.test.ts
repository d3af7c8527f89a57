// Integration: a read-only folder and a full disk give clear errors and leave the dataset intact. The full disk is a
// real tiny tmpfs and the read-only folder a tmpfs remounted read-only (needs root to mount; without it, chmod 0555).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startDatasetWorker } from '../../electron/node/datasetWorker.ts';
import { makePng, tempDir } from '../database/fixtures.ts';

const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) execFileSync('umount', ['-l', m]);
});

function tryMount(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    mounts.push(dir);
    return true;
  } catch {
    return false;
  }
}

const canMount = ((): boolean => {
  const probe = tempDir('slime-mount-');
  const ok = tryMount(probe, '64k');
  if (ok) {
    execFileSync('umount', [probe]);
    mounts.pop();
  }
  return ok;
})();
const isRoot = process.getuid?.() === 0;

const digest = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

async function seed(dataDir: string, n: number): Promise<void> {
  const worker = startDatasetWorker({ dataDir });
  const r = await worker.client.call(
    'createExamples',
    Array.from({ length: n }, (_, i) => ({ imageSha256: null, turns: [{ question: `q${i}`, answer: `a${i}` }] })),
  );
  expect(r.ok).toBe(true);
  await worker.stop();
}

describe('dataset on a read-only folder', () => {
  it.skipIf(!canMount && isRoot)(
    'refuses to open for writing with db/read-only, exports fail with io/permission, and the file is unchanged',
    async () => {
      const dir = tempDir('slime-ro-');
      if (canMount) tryMount(dir, '8m');
      await seed(dir, 10);
      const file = path.join(dir, 'dataset.sqlite');
      const before = digest(file);
      if (canMount) execFileSync('mount', ['-o', 'remount,ro', dir]);
      else fs.chmodSync(dir, 0o555);
      const worker = startDatasetWorker({ dataDir: dir });
      const r = await worker.client.call('stats');
      expect(r).toMatchObject({
        ok: false,
        error: { code: 'db/read-only', message: expect.stringMatching(/read-only|cannot be opened for writing/) },
      });
      await worker.supervisor.stop();
      const reader = startDatasetWorker({ dataDir: tempDir() });
      const exported = await reader.client.call('exportDataset', { format: 'llava', outDir: path.join(dir, 'out') });
      expect(exported).toMatchObject({ ok: false, error: { code: 'io/permission' } });
      await reader.stop();
      if (!canMount) fs.chmodSync(dir, 0o755);
      expect(digest(file)).toBe(before);
    },
  );
});

describe('dataset on a full disk', () => {
  it.skipIf(!canMount)('fails writes with db/disk-full and keeps every committed example (1 MB tmpfs)', async () => {
    const dir = tempDir('slime-full-');
    tryMount(dir, '1m');
    const worker = startDatasetWorker({ dataDir: dir });
    const committed: number[] = [];
    let failure: { code: string; message: string } | undefined;
    for (let i = 0; i < 400 && !failure; i++) {
      const r = await worker.client.call(
        'createExamples',
        Array.from({ length: 5 }, (_, k) => ({ imageSha256: null, turns: [{ question: `q${i}-${k}`, answer: 'x'.repeat(2000) }] })),
      );
      if (r.ok) committed.push(...r.value);
      else failure = r.error;
    }
    expect(failure).toMatchObject({ code: 'db/disk-full', message: expect.stringMatching(/disk is full/) });
    const image = await worker.client.call('addImage', new Uint8Array(await makePng(3, 400, 400)), 'big.png');
    expect(image.ok ? 'stored' : image.error.code).toMatch(/^(stored|db\/disk-full)$/);
    await worker.supervisor.stop();
    execFileSync('mount', ['-o', 'remount,size=16m', dir]);
    const db = new Database(path.join(dir, 'dataset.sqlite'));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const ids = (db.prepare('SELECT id FROM examples ORDER BY id').all() as { id: number }[]).map((r) => r.id);
    expect(ids).toEqual(committed);
    db.close();
  });
});
