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

/**
 * Index pairs that may lie within `maxDistance` bits. Pigeonhole: split the 64 bits into maxDistance + 1 blocks; two
 * hashes that close agree exactly on at least one block, so only hashes sharing a block value are compared.
 */
export function* candidatePairs(hexes: readonly string[], maxDistance: number): Generator<[number, number]> {
  const blocks = maxDistance + 1;
  if (blocks > 16) {
    for (let i = 0; i < hexes.length; i++) for (let j = i + 1; j < hexes.length; j++) yield [i, j];
    return;
  }
  const values = hexes.map((h) => BigInt(`0x${h}`));
  let shift = 0n;
  for (let b = 0; b < blocks; b++) {
    const width = BigInt(Math.floor(64 / blocks) + (b < 64 % blocks ? 1 : 0));
    const mask = (1n << width) - 1n;
    const buckets = new Map<bigint, number[]>();
    values.forEach((v, i) => {
      const key = (v >> shift) & mask;
      const bucket = buckets.get(key);
      if (bucket) bucket.push(i);
      else buckets.set(key, [i]);
    });
    for (const bucket of buckets.values())
      for (let x = 0; x < bucket.length; x++) for (let y = x + 1; y < bucket.length; y++) yield [bucket[x]!, bucket[y]!];
    shift += width;
  }
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
  for (const [i, j] of candidatePairs(
    uses.map((u) => u.phash),
    maxDistance,
  )) {
    if (hamming(hashes[i]!, hashes[j]!) > maxDistance) continue;
    const a = find(parent, uses[i]!.sha256);
    const b = find(parent, uses[j]!.sha256);
    if (a !== b) parent.set(b, a);
  }
  const members = new Map<string, number[]>();
  uses.forEach((u, i) => {
    const root = find(parent, u.sha256);
    members.set(root, [...(members.get(root) ?? []), i]);
  });
  for (const indices of members.values()) {
    if (indices.length < 2) continue;
    let distance = 0;
    for (const i of indices) for (const j of indices) if (i < j) distance = Math.max(distance, hamming(hashes[i]!, hashes[j]!));
    const images = indices.map((i) => uses[i]!.sha256);
    const exampleIds = images.flatMap((s) => idsOf.get(s) ?? []).sort((a, b) => a - b);
    groups.push({ kind: 'near', images, exampleIds, distance });
  }
  return groups;
}
