// Integration (done-when of issue 16): `slime dataset ask-folder` with SliME-Nano over a mixed folder — 24 Nano
// `heldout` scenes with their generated questions and 12 real photographs (scikit-image) asked the same kinds of
// questions (test/fixtures/mining). The review queue sorted by "needs local detail" has no photo in its top 10%, and
// the most detail-dependent in-distribution family (glyph: +60.5 points over global-only in models/nano/RESULTS.md)
// rises to the top. The detail score alone, for contrast, is printed (it ranks confident answers about photos high).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../database/connection.ts';
import { reviewQueue } from '../../database/queries/miningReview.ts';
import { REPO_ROOT } from '../../electron/node/paths.ts';
import { tempDir } from '../database/fixtures.ts';

const MIXED = path.join(REPO_ROOT, 'test', 'fixtures', 'mining');
type Truth = Record<string, Record<string, { family: string; kind: 'scene' | 'photo' }>>;

interface Ranked {
  kind: string;
  family: string;
  needs: number;
  detail: number | null;
}

function share(rows: Ranked[], test: (r: Ranked) => boolean): number {
  return rows.filter(test).length / rows.length;
}

describe('review queue on scenes and real photos', () => {
  it('keeps out-of-distribution photos out of the top 10% and puts glyph questions first', () => {
    const db = path.join(tempDir('slime-mine-rank-'), 'dataset.sqlite');
    const cli = path.join(REPO_ROOT, 'electron', 'cli', 'main.ts');
    const args = [cli, 'dataset', 'ask-folder', MIXED, '--questions', path.join(MIXED, 'questions.json'), '--db', db, '--json'];
    execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const truth = JSON.parse(fs.readFileSync(path.join(MIXED, 'truth.json'), 'utf8')) as Truth;
    const { db: conn } = openDatabase(db, { readOnly: true });
    const page = reviewQueue(conn, { limit: 1000 });
    const files = new Map(
      (conn.prepare("SELECT id, json_extract(provenance, '$.file') AS file FROM examples").all() as { id: number; file: string }[]).map(
        (r) => [r.id, r.file],
      ),
    );
    conn.close();
    const ranked: Ranked[] = page.items.map((item) => {
      const t = truth[files.get(item.exampleId)!]![item.question]!;
      return { kind: t.kind, family: t.family, needs: item.signals.needsDetail, detail: item.signals.detail };
    });
    expect(ranked.length).toBe(178);
    expect(page.items.every((i) => i.signals.missing.length === 0)).toBe(true);
    const top = ranked.slice(0, Math.floor(ranked.length / 10));
    const byDetail = [...ranked].sort((a, b) => (b.detail ?? 0) - (a.detail ?? 0)).slice(0, top.length);
    const glyphBase = share(ranked, (r) => r.kind === 'scene' && r.family === 'glyph');
    const meanPercentile = (family: string): number => {
      const at = ranked.flatMap((r, i) => (r.kind === 'scene' && r.family === family ? [i / ranked.length] : []));
      return at.reduce((a, b) => a + b, 0) / at.length;
    };
    const families = ['glyph', 'shape', 'count', 'colour', 'exist', 'position'];
    console.log(
      [
        `top 10% (${top.length} of ${ranked.length}) by needs-local-detail: photos ${top.filter((r) => r.kind === 'photo').length}, ` +
          families.map((f) => `${f} ${top.filter((r) => r.kind === 'scene' && r.family === f).length}`).join(', '),
        `top 10% by detail score alone: photos ${byDetail.filter((r) => r.kind === 'photo').length}`,
        `mean rank percentile: ${families.map((f) => `${f} ${meanPercentile(f).toFixed(2)}`).join(', ')}, photos ${(
          ranked.flatMap((r, i) => (r.kind === 'photo' ? [i / ranked.length] : [])).reduce((a, b) => a + b, 0) / 36
        ).toFixed(2)}`,
      ].join('\n'),
    );
    expect(top.filter((r) => r.kind === 'photo')).toEqual([]);
    expect(share(top, (r) => r.kind === 'scene' && r.family === 'glyph')).toBeGreaterThanOrEqual(2 * glyphBase);
    for (const f of families.filter((x) => x !== 'glyph')) expect(meanPercentile('glyph')).toBeLessThan(meanPercentile(f));
  });
});
