// Renderer: the props of one dataset list item — a list row (ExampleRow) or a grid card (ExampleCard) — so the
// list pane hands both the same things.
import type { ExampleSummary } from '$shared/ipc/dataset.ts';

/** One example of the list pane: its summary (undefined while its page loads), its index and the callbacks. */
export interface ExampleItemProps {
  row: ExampleSummary | undefined;
  index: number;
  /** The example open in the editor. */
  current: boolean;
  /** Ticked for bulk actions. */
  selected: boolean;
  onopen: (index: number) => void;
  ontoggle: (id: number, on: boolean) => void;
}
