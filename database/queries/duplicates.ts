// Duplicate finding: examples sharing an image hash, and images whose perceptual hashes are close (database worker).
import type Database from 'better-sqlite3';
import type { DuplicateGroup } from '../../electron/shared/ipc/dataset.ts';
import { hamming, splitHash } from '../phash.ts';
import { all, sql } from '../sql.ts';

interface ImageUse {
  sha256: string;
  phash: string;
  ids: string;
}

function find(parent: Map<string, string>, x: string): string {
  let root = x;
  while (parent.get(root) !== root) root = parent.get(root)!;
  parent.set(x, root);
  return root;
}

/** Exact groups (several live examples, one image) and near groups (distinct images within `maxDistance` bits). */
export function findDuplicates(db: Database.Database, maxDistance: number): DuplicateGroup[] {
  const uses = all<ImageUse>(
    db,
    sql`SELECT i.sha256, i.phash, group_concat(e.id) AS ids FROM examples e JOIN images i ON i.sha256 = e.image_sha256
        WHERE e.deleted_at IS NULL GROUP BY i.sha256 ORDER BY i.sha256`,
  );
  const idsOf = new Map(
    uses.map((u) => [
      u.sha256,
      u.ids
        .split(',')
        .map(Number)
        .sort((a, b) => a - b),
    ]),
  );
  const groups: DuplicateGroup[] = [];
  for (const u of uses) {
    const ids = idsOf.get(u.sha256)!;
    if (ids.length > 1) groups.push({ kind: 'exact', images: [u.sha256], exampleIds: ids, distance: 0 });
  }
  const hashes = uses.map((u) => splitHash(u.phash));
  const parent = new Map(uses.map((u) => [u.sha256, u.sha256]));
  const worst = new Map<string, number>();
  for (let i = 0; i < uses.length; i++) {
    for (let j = i + 1; j < uses.length; j++) {
      const d = hamming(hashes[i]!, hashes[j]!);
      if (d > maxDistance) continue;
      const a = find(parent, uses[i]!.sha256);
      const b = find(parent, uses[j]!.sha256);
      const w = Math.max(d, worst.get(a) ?? 0, worst.get(b) ?? 0);
      parent.set(b, a);
      worst.set(a, w);
    }
  }
  const members = new Map<string, string[]>();
  for (const u of uses) {
    const root = find(parent, u.sha256);
    members.set(root, [...(members.get(root) ?? []), u.sha256]);
  }
  for (const [root, images] of members) {
    if (images.length < 2) continue;
    const exampleIds = images.flatMap((s) => idsOf.get(s) ?? []).sort((a, b) => a - b);
    groups.push({ kind: 'near', images, exampleIds, distance: worst.get(root) ?? 0 });
  }
  return groups;
}
