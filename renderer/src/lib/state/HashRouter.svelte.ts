// Renderer: hash-based router as a small rune class (`#/chat`, `#/dataset`, `#/mining`, `#/settings`).

/** The app's top-level views. */
export const VIEWS = ['chat', 'dataset', 'mining', 'settings'] as const;

/** One of {@link VIEWS}. */
export type View = (typeof VIEWS)[number];

function parse(hash: string): View {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return (VIEWS as readonly string[]).includes(name) ? (name as View) : 'chat';
}

/** Tracks the current view from `location.hash` and navigates by setting it. */
export class HashRouter {
  view: View = $state(parse(location.hash));

  constructor() {
    window.addEventListener('hashchange', () => {
      this.view = parse(location.hash);
    });
  }

  /** Switches to `view` (keeps browser history, so back/forward work). */
  go(view: View): void {
    if (location.hash !== `#/${view}`) location.hash = `#/${view}`;
    this.view = view;
  }
}
