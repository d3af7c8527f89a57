// Unit: the dataset list over the real database worker (browser mode's api shape) — paging beyond one page, filters,
// opening and moving through rows, finding the open example again after a reload, selection and the bulk actions'
// undo entries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installRealApi, type RealApi } from '../../../harness/realApi.ts';
import type { DatasetList as DatasetListType } from '../../../../../renderer/src/lib/state/DatasetList.svelte.ts';
import type * as BulkActions from '../../../../../renderer/src/features/dataset/bulkActions.ts';

let real: RealApi;
let DatasetList: typeof DatasetListType;
let PAGE_SIZE: number;
let bulk: typeof BulkActions;
const N = 230;

beforeAll(async () => {
  real = await installRealApi('list');
  ({ DatasetList, PAGE_SIZE } = await import('../../../../../renderer/src/lib/state/DatasetList.svelte.ts'));
  bulk = await import('../../../../../renderer/src/features/dataset/bulkActions.ts');
  const { api } = await import('../../../../../renderer/src/lib/api/client.ts');
  for (let i = 0; i < N; i++) {
    await api.dataset.createExample({
      imageSha256: null,
      turns: [{ question: `Question ${i}`, answer: i % 10 === 0 ? 'a zebra answer' : 'an answer' }],
      status: i % 3 === 0 ? 'accepted' : 'draft',
      tags: i < 5 ? ['first-five'] : [],
    });
  }
});

afterAll(async () => {
  await real?.close();
});

describe('DatasetList', () => {
  it('counts every example and fetches rows page by page, newest first', async () => {
    const list = new DatasetList();
    await list.refresh();
    expect(list.total).toBe(N);
    expect(list.error).toBeNull();
    expect(list.rowAt(0)?.question).toBe(`Question ${N - 1}`);
    expect(list.rowAt(PAGE_SIZE + 5)).toBeUndefined();
    expect((await list.fetchRow(PAGE_SIZE + 5))?.question).toBe(`Question ${N - 1 - PAGE_SIZE - 5}`);
    expect((await list.fetchRow(N - 1))?.question).toBe('Question 0');
    expect(list.stats?.byStatus.accepted).toBe(Math.ceil(N / 3));
    expect(list.tags).toContainEqual({ name: 'first-five', count: 5 });
  });

  it('filters by status, search and tag', async () => {
    const list = new DatasetList();
    list.filters.status = 'accepted';
    await list.refresh();
    expect(list.total).toBe(Math.ceil(N / 3));
    list.filters = { ...list.filters, status: '', search: 'zebra' };
    await list.refresh();
    expect(list.total).toBe(N / 10);
    expect((await list.fetchRow(0))?.answer).toBe('a zebra answer');
    list.filters = { ...list.filters, search: '', tag: 'first-five', sort: 'created', order: 'asc' };
    await list.refresh();
    expect(list.total).toBe(5);
    expect((await list.fetchRow(0))?.question).toBe('Question 0');
  });

  it('opens, moves (clamped at both ends) and opens by id', async () => {
    const list = new DatasetList();
    await list.refresh();
    await list.move(1);
    expect(list.currentIndex).toBe(0);
    await list.move(1);
    expect(list.currentIndex).toBe(1);
    await list.move(-5);
    expect(list.currentIndex).toBe(0);
    await list.open(N + 10);
    expect(list.currentIndex).toBe(N - 1);
    const last = (await list.fetchRow(N - 1))!;
    expect(list.currentId).toBe(last.id);
    const first = (await list.fetchRow(0))!;
    await list.openId(first.id, -1);
    expect(list.currentIndex).toBe(0);
    await list.openId(999_999, -1);
    expect(list.currentIndex).toBe(-1);
    expect(list.currentId).toBe(999_999);
  });

  it('finds the open example again after a change moves it in the sort order', async () => {
    const { api } = await import('../../../../../renderer/src/lib/api/client.ts');
    const list = new DatasetList();
    list.filters = { ...list.filters, sort: 'updated', order: 'desc' };
    await list.refresh();
    await list.open(7);
    const id = list.currentId!;
    await api.dataset.updateExample(id, { notes: 'touched' });
    await list.reload();
    expect(list.currentId).toBe(id);
    expect(list.currentIndex).toBe(0);
    expect(list.rowAt(0)?.id).toBe(id);
  });

  it('selects, and bulk changes come with an undo that restores each row', async () => {
    const list = new DatasetList();
    list.filters = { ...list.filters, tag: 'first-five' };
    await list.refresh();
    await list.fetchRow(0);
    list.toggle(5, true);
    list.toggle(5, false);
    expect(list.selected).toEqual([]);
    list.selectLoaded();
    expect(list.selected).toHaveLength(5);
    const before = list.selected.map((id) => list.rowById(id)!.status);
    const entry = await bulk.bulkSetStatus(list.selected, 'rejected', (id) => list.rowById(id));
    await list.reload();
    expect(list.selected.map((id) => list.rowById(id)!.status)).toEqual(Array(5).fill('rejected'));
    await entry.undo();
    await list.reload();
    expect(list.selected.map((id) => list.rowById(id)!.status)).toEqual(before);
    const deleted = await bulk.bulkDelete(list.selected);
    await list.refresh();
    expect(list.total).toBe(0);
    await deleted.undo();
    await list.refresh();
    expect(list.total).toBe(5);
    list.clearSelection();
    expect(list.selected).toEqual([]);
  });
});
