// Unit: versions of an answer over append-only messages — the regenerations chain, the chosen version shown in the
// path, and the note when a regeneration repeats an earlier version (greedy or same seed).
import { describe, expect, it } from 'vitest';
import type { Message } from '../../../../../electron/shared/ipc/dataset.ts';
import { visiblePath } from '../../../../../renderer/src/lib/state/ChatThread.ts';
import {
  chooseVersion,
  identicalNote,
  identicalTo,
  versionsAt,
  versionsOf,
  withShownVersions,
} from '../../../../../renderer/src/lib/state/ChatVersions.ts';

let next = 1;
function msg(role: Message['role'], text: string, provenance: Message['provenance'] = null): Message {
  return { id: next++, conversationId: 1, role, text, images: [], inspection: null, perf: null, provenance, createdAt: 0 };
}
const greedy = { generation: { temperature: 0 } };
const sampled = { generation: { temperature: 0.8, seed: 3 } };

describe('answer versions', () => {
  const q = msg('user', 'q');
  const a1 = msg('assistant', 'red', greedy);
  const a2 = msg('assistant', '', { replaces: a1.id, outcome: 'stopped', stopped: true });
  const failed = msg('assistant', '', { replaces: a2.id, outcome: 'failed' });
  const a3 = msg('assistant', 'red', { ...greedy, replaces: a2.id });
  const a4 = msg('assistant', 'red', { ...sampled, replaces: a3.id });
  const messages = [q, a1, a2, failed, a3, a4];

  it('chains regenerations oldest first, leaving failed answers out of the thread', () => {
    const path = visiblePath(messages);
    expect(path.map((m) => m.id)).toEqual([q.id, a4.id]);
    expect(versionsOf(messages, a4).map((m) => m.id)).toEqual([a1.id, a2.id, a3.id, a4.id]);
    expect(versionsOf(messages, a1).map((m) => m.id)).toEqual([a1.id]);
  });

  it('shows the chosen version in place of the latest', () => {
    const path = visiblePath(messages);
    expect(withShownVersions(path, messages, { [a4.id]: a2.id }).map((m) => m.id)).toEqual([q.id, a2.id]);
    expect(withShownVersions(path, messages, {}).map((m) => m.id)).toEqual([q.id, a4.id]);
  });

  it('says when a version repeats an earlier one, and why', () => {
    const versions = versionsOf(messages, a4);
    expect(identicalTo(versions, 0)).toBeNull();
    expect(identicalTo(versions, 1)).toBeNull();
    expect(identicalTo(versions, 2)).toBe(1);
    expect(identicalNote(versions, 2)).toMatch(/^Identical to version 1: decoding is greedy \(temperature 0\)/);
    expect(identicalNote(versions, 3)).toBe('Identical to version 3 (same settings and seed).');
    expect(identicalNote(versions, 1)).toBeNull();
  });

  it('finds the versions at a place in the thread, and which one is shown', () => {
    const latestPath = visiblePath(messages);
    const path = withShownVersions(latestPath, messages, { [a4.id]: a2.id });
    expect(versionsAt(latestPath, path, messages, path[1]!)).toEqual({ versions: [a1, a2, a3, a4], index: 1 });
    expect(versionsAt(latestPath, latestPath, messages, a4)).toEqual({ versions: [a1, a2, a3, a4], index: 3 });
    // A question has one version: itself; so has a message not on the path.
    expect(versionsAt(latestPath, path, messages, q)).toEqual({ versions: [q], index: 0 });
    expect(versionsAt(latestPath, path, messages, failed)).toEqual({ versions: [failed], index: 0 });
  });

  it("chooses a version by its place, clamped, keeping the other answers' choices and forgetting the latest", () => {
    const versions = versionsOf(messages, a4);
    const other = { 999: 998 };
    expect(chooseVersion(other, versions, 0)).toEqual({ ...other, [a4.id]: a1.id });
    expect(chooseVersion(other, versions, -5)).toEqual({ ...other, [a4.id]: a1.id });
    expect(chooseVersion({ ...other, [a4.id]: a1.id }, versions, 2)).toEqual({ ...other, [a4.id]: a3.id });
    expect(chooseVersion({ ...other, [a4.id]: a1.id }, versions, 3)).toEqual(other);
    expect(chooseVersion({ ...other, [a4.id]: a1.id }, versions, 99)).toEqual(other);
  });
});
