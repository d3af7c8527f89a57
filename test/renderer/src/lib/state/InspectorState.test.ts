// Unit: the inspector state over a real SliME-Nano answer — showing it (record, top-p, default overlays that keep the
// photo visible), regions per answer and from the hottest cell, re-selection runs kept in the order they ran with the
// drawn record following the latest, and closing.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installRealApi, NANO_DIR, type RealApi } from '../../../harness/realApi.ts';
import type { ChatSession as SessionType } from '../../../../../renderer/src/lib/state/ChatSession.svelte.ts';
import type { InspectorState as InspectorType } from '../../../../../renderer/src/lib/state/InspectorState.svelte.ts';
import type { Message } from '../../../../../electron/shared/ipc/dataset.ts';

let real: RealApi;
let InspectorState: typeof InspectorType;
let session: SessionType;
let answer: Message;

beforeAll(async () => {
  real = await installRealApi('inspector');
  const { ChatSession } = await import('../../../../../renderer/src/lib/state/ChatSession.svelte.ts');
  ({ InspectorState } = await import('../../../../../renderer/src/lib/state/InspectorState.svelte.ts'));
  const samples = JSON.parse(await readFile(path.join(NANO_DIR, 'samples', 'samples.json'), 'utf8')) as {
    image: string;
    question: string;
  }[];
  const file = new File([await readFile(path.join(NANO_DIR, 'samples', samples[0]!.image))], 'sample.png', { type: 'image/png' });
  session = new ChatSession();
  await session.attach(file);
  await session.send(samples[0]!.question);
  answer = session.path[1]!;
});

afterAll(async () => {
  await real?.close();
});

function shown(): InspectorType {
  const inspector = new InspectorState();
  const { url, context } = session.replayOf(answer);
  inspector.show(answer, url, context);
  return inspector;
}

describe('InspectorState', () => {
  it("shows an answer's record with its selector settings and overlays that leave the photo visible", () => {
    const inspector = shown();
    expect(inspector.message?.id).toBe(answer.id);
    expect(inspector.record).toBe(inspector.original);
    expect(inspector.record?.tokens.localBefore).toBeGreaterThan(0);
    expect(inspector.topP).toBeCloseTo(Math.min(1, inspector.original!.selector.topP), 6);
    expect(inspector.mode).toBe(inspector.original!.selector.mode);
    expect(inspector.overlays).toMatchObject({ grid: true, heatmap: true, router: false });
    expect(inspector.overlays.opacity).toBeLessThanOrEqual(0.5);
    expect(inspector.context?.question).toBe(session.path[0]!.text);
  });

  it('keeps a region per answer and derives one from the hottest cell', () => {
    const inspector = shown();
    expect(inspector.region).toBeNull();
    inspector.regionFromHottest();
    const hot = inspector.region!;
    expect(hot.x2).toBeGreaterThan(hot.x1);
    expect(hot.y2).toBeGreaterThan(hot.y1);
    expect(inspector.regions[answer.id]).toEqual(hot);
    inspector.setRegion(null);
    expect(inspector.region).toBeNull();
    expect(inspector.regions).toEqual({});
  });

  it('runs re-selections in time order; the drawn record follows the latest and can go back', async () => {
    const inspector = shown();
    inspector.topP = 0.3;
    await inspector.reselect();
    inspector.topP = 0.9;
    await inspector.reselect();
    expect(inspector.running).toBeNull();
    expect(inspector.error).toBeNull();
    expect(inspector.runs.map((r) => r.topP)).toEqual([0.3, 0.9]);
    expect(inspector.runs.every((r) => r.done && r.record !== null && r.answer.length > 0)).toBe(true);
    const [low, high] = inspector.runs.map((r) => r.record!);
    expect(low!.selector.topP).toBeCloseTo(0.3, 6);
    expect(low!.tokens.localAfter).toBeLessThanOrEqual(high!.tokens.localAfter);
    expect(inspector.record).toStrictEqual(high);
    inspector.useRun(inspector.runs[0]!.id);
    expect(inspector.record).toStrictEqual(low);
    inspector.useRun(null);
    expect(inspector.record).toBe(inspector.original);
    inspector.close();
    expect([inspector.message, inspector.record, inspector.original]).toEqual([null, null, null]);
  });
});
