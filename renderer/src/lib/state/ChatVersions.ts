// Renderer: versions of an answer — each regeneration replaces the answer before it (`provenance.replaces`), so an
// answer's versions are that chain; the page can show any of them, and says when a regeneration repeated an earlier
// version because decoding was greedy. Pure functions over the append-only messages.
// (Relative type imports, not $shared: unit tests type-check this file under the root tsconfig, which has no alias.)
import type { Message } from '../../../../electron/shared/ipc/dataset.ts';
import { replacedId } from './ChatThread.ts';

/** The versions of answer `latest` (its regenerations chain), oldest first, `latest` last. */
export function versionsOf(messages: readonly Message[], latest: Message): Message[] {
  const byId = new Map(messages.map((m) => [m.id, m]));
  const out = [latest];
  for (let cur = latest; ;) {
    const prev = byId.get(replacedId(cur) ?? -1);
    if (!prev || prev.role !== 'assistant' || out.includes(prev)) break;
    out.unshift(prev);
    cur = prev;
  }
  return out;
}

/** The visible path with each answer replaced by the version the user chose (`shown`: latest id → shown id). */
export function withShownVersions(path: readonly Message[], messages: readonly Message[], shown: Record<number, number>): Message[] {
  return path.map((m) => {
    const id = shown[m.id];
    return id === undefined ? m : (messages.find((x) => x.id === id) ?? m);
  });
}

/** The versions of the answer shown at `m`'s place in `path` (latest versions in `latestPath`), and which is shown. */
export function versionsAt(
  latestPath: readonly Message[],
  path: readonly Message[],
  messages: readonly Message[],
  m: Message,
): { versions: Message[]; index: number } {
  const latest = latestPath[path.findIndex((x) => x.id === m.id)];
  if (!latest || latest.role !== 'assistant') return { versions: [m], index: 0 };
  const versions = versionsOf(messages, latest);
  return {
    versions,
    index: Math.max(
      0,
      versions.findIndex((v) => v.id === m.id),
    ),
  };
}

/** `shown` with version `index` of `versions` chosen (the latest version is shown by default, so it is not kept). */
export function chooseVersion(shown: Record<number, number>, versions: readonly Message[], index: number): Record<number, number> {
  const chosen = versions[Math.min(Math.max(0, index), versions.length - 1)]!;
  const latest = versions.at(-1)!;
  const { [latest.id]: _dropped, ...rest } = shown;
  return chosen.id === latest.id ? rest : { ...rest, [latest.id]: chosen.id };
}

/** Whether answer `m` was decoded greedily (temperature 0: the same question always gives the same answer). */
export function isGreedy(m: Message): boolean {
  const generation = m.provenance?.generation as { temperature?: unknown } | undefined;
  return generation?.temperature === 0;
}

/** How version `index` of `versions` relates to the earlier ones: the 1-based number of an identical one, or null. */
export function identicalTo(versions: readonly Message[], index: number): number | null {
  const m = versions[index];
  if (!m || !m.text) return null;
  for (let i = index - 1; i >= 0; i--) if (versions[i]!.text === m.text) return i + 1;
  return null;
}

/** The note shown under a version that repeats an earlier one, or null when it does not. */
export function identicalNote(versions: readonly Message[], index: number): string | null {
  const same = identicalTo(versions, index);
  if (same === null) return null;
  return isGreedy(versions[index]!)
    ? `Identical to version ${same}: decoding is greedy (temperature 0), so the same question gives the same answer. ` +
        'Raise the temperature in Chat settings for a different one.'
    : `Identical to version ${same} (same settings and seed).`;
}
