// Unit: the OOD guard read from ood.json — 1 − mean cosine to the k nearest reference rows, OOD above the threshold;
// absent file → null (guard unavailable); a malformed file → inference/model-invalid.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOodGuard, oodScore } from '../../../../electron/node/mining/ood.ts';
import { tempDir } from '../../../database/fixtures.ts';

function write(dir: string, rows: number[][], k: number, threshold: number): void {
  const flat = Float32Array.from(rows.flat());
  const reference = Buffer.from(flat.buffer).toString('base64');
  fs.writeFileSync(
    path.join(dir, 'ood.json'),
    JSON.stringify({ version: 1, embedding: 'global-mean-l2', k, dim: rows[0]!.length, reference, threshold, calibration: {} }),
  );
}

describe('OOD guard', () => {
  it('scores 1 − mean cosine of the k nearest reference rows', async () => {
    const dir = tempDir('slime-ood-');
    write(
      dir,
      [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
        [Math.SQRT1_2, Math.SQRT1_2, 0],
      ],
      2,
      0.3,
    );
    const guard = (await loadOodGuard(dir))!;
    expect(guard.knn.n).toBe(4);
    expect(guard.method).toBe('knn-cosine');
    // Unit reference rows (as models/ood.py stores them). Query (1, 1, 0)/√2: cosines 0.7071, 0.7071, 0, 1.
    const v = oodScore(guard, [Math.SQRT1_2, Math.SQRT1_2, 0]);
    expect(v.score).toBeCloseTo(1 - (1 + Math.SQRT1_2) / 2, 6);
    expect(v.inDist).toBe(true);
    expect(oodScore(guard, [0, 0, -1]).inDist).toBe(false);
    expect(() => oodScore(guard, [1, 0])).toThrow(expect.objectContaining({ code: 'inference/model-invalid' }));
  });

  it('is unavailable without ood.json and refuses a malformed one', async () => {
    const dir = tempDir('slime-ood-');
    expect(await loadOodGuard(dir)).toBeNull();
    fs.writeFileSync(path.join(dir, 'ood.json'), JSON.stringify({ version: 2 }));
    await expect(loadOodGuard(dir)).rejects.toMatchObject({ code: 'inference/model-invalid' });
  });
});
