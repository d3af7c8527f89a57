// Renderer: the dataset list (rune class) — filters, sort, a page cache over `dataset.listExamples` that only fetches
// the pages the virtual list shows (so 100k examples stay cheap), stats, selection and the current row.
import type { DatasetStats, ExampleQuery, ExampleSort, ExampleSummary, ReviewStatus, TagCount } from '$shared/ipc/dataset.ts';
import { api } from '../api/client.ts';
import { describeError } from '../components/errorView.ts';

/** Rows per `listExamples` call. */
export const PAGE_SIZE = 100;
/** How many recently drawn pages count as on screen (a tall window shows at most two or three). */
const RECENT_PAGES = 4;

/** The list's filters and ordering (what the toolbar edits). */
export interface DatasetFilters {
  search: string;
  status: ReviewStatus | '';
  tag: string;
  /** Detail-score bounds as typed (empty = unbounded). */
  minDetail: string;
  maxDetail: string;
  /** Only examples of this image (sha256; '' = any) — set from "similar images". */
  image: string;
  /** Evidence coverage: '' any, 'dropped' = the selector dropped a region's evidence, 'kept' = every region kept. */
  evidence: '' | 'dropped' | 'kept';
  sort: ExampleSort;
  order: 'asc' | 'desc';
}

/** Default filters: everything, newest first (creation order stays put while reviewing). */
export function defaultFilters(): DatasetFilters {
  return { search: '', status: '', tag: '', minDetail: '', maxDetail: '', image: '', evidence: '', sort: 'created', order: 'desc' };
}

function toQuery(f: DatasetFilters): ExampleQuery {
  const q: ExampleQuery = { sort: f.sort, order: f.order };
  if (f.search.trim()) q.search = f.search.trim();
  if (f.status) q.status = [f.status];
  if (f.tag) q.tags = [f.tag];
  const min = Number.parseFloat(f.minDetail);
  const max = Number.parseFloat(f.maxDetail);
  if (Number.isFinite(min)) q.minDetail = min;
  if (Number.isFinite(max)) q.maxDetail = max;
  if (f.image) q.imageSha256 = f.image;
  if (f.evidence) q.evidenceDropped = f.evidence === 'dropped';
  return q;
}

/** Paged, filtered view of the examples with selection and a current row. */
export class DatasetList {
  filters: DatasetFilters = $state(defaultFilters());
  total = $state(0);
  stats: DatasetStats | null = $state(null);
  tags: TagCount[] = $state([]);
  error: string | null = $state(null);
  loading = $state(false);
  /** Index of the row open in the editor, or -1. */
  currentIndex = $state(-1);
  currentId: number | null = $state(null);
  /** Ids ticked for bulk actions. */
  selected: number[] = $state([]);
  /** Bumps whenever cached pages change, so `rowAt` readers re-render. */
  private version = $state(0);
  private pages = new Map<number, ExampleSummary[]>();
  private pending = new Map<number, Promise<void>>();
  private generation = 0;
  /** Pages drawn most recently (the visible ones), newest last; only these are re-fetched on `reload`. */
  private recent: number[] = [];

  /** The row at `index`, fetching its page on first use (undefined until it arrives). */
  rowAt(index: number): ExampleSummary | undefined {
    void this.version;
    const page = Math.floor(index / PAGE_SIZE);
    if (this.recent.at(-1) !== page) this.recent = [...this.recent.filter((p) => p !== page), page].slice(-RECENT_PAGES);
    const rows = this.pages.get(page);
    if (!rows) void this.loadPage(page);
    return rows?.[index % PAGE_SIZE];
  }

  /** Re-runs the query from the start (filters changed). Keeps the current example open. */
  async refresh(): Promise<void> {
    this.generation++;
    this.pages = new Map();
    this.pending = new Map();
    this.recent = [];
    this.loading = true;
    await this.loadPage(0);
    this.loading = false;
    await this.refreshMeta();
  }

  /**
   * Re-fetches the pages on screen (after an edit) without resetting the scroll position; other cached pages are
   * dropped and fetched again when they scroll into view, so a reload costs a few queries however far one scrolled.
   */
  async reload(): Promise<void> {
    const visible = new Set(this.recent.length ? this.recent : [0]);
    if (this.currentIndex >= 0) visible.add(Math.floor(this.currentIndex / PAGE_SIZE));
    for (const page of [...this.pages.keys()]) if (!visible.has(page)) this.pages.delete(page);
    this.generation++;
    this.pending = new Map();
    await Promise.all([...visible].map((p) => this.loadPage(p, true)));
    this.syncCurrentIndex();
    await this.refreshMeta();
  }

  /** Reloads the stats header and the tag list. */
  async refreshMeta(): Promise<void> {
    try {
      [this.stats, this.tags] = await Promise.all([api.dataset.stats(), api.dataset.listTags()]);
    } catch (thrown) {
      this.error = describeError(thrown);
    }
  }

  private async loadPage(page: number, replace = false): Promise<void> {
    if (!replace && (this.pages.has(page) || this.pending.has(page))) return this.pending.get(page);
    const generation = this.generation;
    const promise = api.dataset
      .listExamples({ ...toQuery(this.filters), offset: page * PAGE_SIZE, limit: PAGE_SIZE })
      .then((result) => {
        if (generation !== this.generation) return;
        this.pages.set(page, result.items);
        this.total = result.total;
        this.error = null;
        this.version++;
        if (this.currentIndex < 0) this.syncCurrentIndex();
      })
      .catch((thrown: unknown) => {
        if (generation === this.generation) this.error = describeError(thrown);
      })
      .finally(() => {
        if (this.pending.get(page) === promise) this.pending.delete(page);
      });
    this.pending.set(page, promise);
    return promise;
  }

  /** The row at `index`, waiting for its page if needed. */
  async fetchRow(index: number): Promise<ExampleSummary | undefined> {
    const page = Math.floor(index / PAGE_SIZE);
    if (!this.pages.has(page)) await this.loadPage(page);
    return this.pages.get(page)?.[index % PAGE_SIZE];
  }

  /** Opens the row at `index` (clamped to the list). */
  async open(index: number): Promise<void> {
    if (this.total === 0) return;
    const clamped = Math.max(0, Math.min(this.total - 1, index));
    const row = await this.fetchRow(clamped);
    if (!row) return;
    this.currentIndex = clamped;
    this.currentId = row.id;
  }

  /**
   * Opens example `id`: at its row when it is in a loaded page, else at the row `fallbackIndex`, or (fallback -1) in
   * the editor alone — the list marks its row once a reload finds it.
   */
  async openId(id: number, fallbackIndex: number): Promise<void> {
    for (const [page, rows] of this.pages) {
      const i = rows.findIndex((r) => r.id === id);
      if (i >= 0) return this.open(page * PAGE_SIZE + i);
    }
    if (fallbackIndex >= 0) return this.open(fallbackIndex);
    this.currentIndex = -1;
    this.currentId = id;
  }

  /** Moves the current row by `delta` (next = +1, previous = -1). */
  move(delta: number): Promise<void> {
    return this.open(this.currentIndex < 0 ? 0 : this.currentIndex + delta);
  }

  /** After a reload, finds the current example's new index (it may have moved or left the filter). */
  private syncCurrentIndex(): void {
    if (this.currentId === null) return;
    for (const [page, rows] of this.pages) {
      const i = rows.findIndex((r) => r.id === this.currentId);
      if (i >= 0) {
        this.currentIndex = page * PAGE_SIZE + i;
        return;
      }
    }
  }

  /** A loaded row by example id, or undefined when its page is not loaded. */
  rowById(id: number): ExampleSummary | undefined {
    for (const rows of this.pages.values()) {
      const row = rows.find((r) => r.id === id);
      if (row) return row;
    }
    return undefined;
  }

  /** Ticks or unticks an id. */
  toggle(id: number, on: boolean): void {
    const without = this.selected.filter((x) => x !== id);
    this.selected = on ? [...without, id] : without;
  }

  /** Ticks every loaded row (the pages seen so far). */
  selectLoaded(): void {
    const ids = new Set(this.selected);
    for (const rows of this.pages.values()) for (const r of rows) ids.add(r.id);
    this.selected = [...ids];
  }

  /** Clears the ticks. */
  clearSelection(): void {
    this.selected = [];
  }
}
