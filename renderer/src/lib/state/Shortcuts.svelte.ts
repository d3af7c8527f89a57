// Renderer: configurable review shortcuts (rune class), kept by main's settings service (`settings.shortcuts`);
// matches keyboard events to actions.
import { appSettings } from './AppSettings.svelte.ts';

/** The review actions that have a shortcut. Undo is always Ctrl/Cmd+Z. */
export const SHORTCUT_ACTIONS = ['next', 'previous', 'accept', 'reject', 'needsReview', 'search'] as const;
/** One of {@link SHORTCUT_ACTIONS}. */
export type ShortcutAction = (typeof SHORTCUT_ACTIONS)[number];

/** What each action does, for the settings list and tooltips. */
export const SHORTCUT_LABELS: Record<ShortcutAction, string> = {
  next: 'Next example',
  previous: 'Previous example',
  accept: 'Accept',
  reject: 'Reject',
  needsReview: 'Mark needs review',
  search: 'Focus search',
};

/** Factory defaults (Gmail/vim-like single keys; they never fire while typing in a field). */
export const DEFAULT_SHORTCUTS: Readonly<Record<ShortcutAction, string>> = {
  next: 'J',
  previous: 'K',
  accept: 'A',
  reject: 'R',
  needsReview: 'N',
  search: '/',
};

const MODIFIER_KEYS = new Set(['Control', 'Shift', 'Alt', 'Meta']);

/** The combo a key event spells, e.g. "A", "Shift+ArrowDown", "Ctrl+Enter"; null for a lone modifier. */
export function comboOf(event: KeyboardEvent): string | null {
  if (MODIFIER_KEYS.has(event.key)) return null;
  const key = event.key.length === 1 ? event.key.toUpperCase() : event.key;
  const parts: string[] = [];
  if (event.ctrlKey || event.metaKey) parts.push('Ctrl');
  if (event.altKey) parts.push('Alt');
  // Shift is implied by printable symbols like "/" or "?"; only name it for letters and named keys.
  if (event.shiftKey && (key.length > 1 || /[A-Z]/.test(key))) parts.push('Shift');
  parts.push(key === ' ' ? 'Space' : key);
  return parts.join('+');
}

/** Whether the event comes from a text field (single-key shortcuts must not fire there). */
export function isTyping(event: KeyboardEvent): boolean {
  const el = event.target as HTMLElement | null;
  if (!el || typeof el.closest !== 'function') return false;
  return el.isContentEditable || el.closest('input, textarea, select, [contenteditable="true"]') !== null;
}

/** The defaults overlaid with the stored bindings ('' = unbound). */
function merged(saved: Record<string, string>): Record<ShortcutAction, string> {
  const out = { ...DEFAULT_SHORTCUTS };
  for (const action of SHORTCUT_ACTIONS) {
    const combo = saved[action];
    if (typeof combo === 'string') out[action] = combo;
  }
  return out;
}

/** The user's shortcut map. */
export class Shortcuts {
  /** Bindings set in this page before main confirmed them (shown at once). */
  private pending: Record<ShortcutAction, string> | null = $state(null);
  readonly bindings: Record<ShortcutAction, string> = $derived(this.pending ?? merged(appSettings.value.shortcuts));
  /** Why the last change could not be stored, or null. */
  error: string | null = $state(null);

  /** The action bound to the event's combo, or null. Plain keys are ignored while typing in a field. */
  actionFor(event: KeyboardEvent): ShortcutAction | null {
    const combo = comboOf(event);
    if (!combo) return null;
    const plain = !combo.includes('Ctrl+') && !combo.includes('Alt+');
    if (plain && isTyping(event)) return null;
    for (const action of SHORTCUT_ACTIONS) if (this.bindings[action] === combo) return action;
    return null;
  }

  /** Binds `combo` to `action`; returns the action that lost it (bindings stay unique), or null. */
  set(action: ShortcutAction, combo: string): ShortcutAction | null {
    const next = { ...this.bindings };
    let displaced: ShortcutAction | null = null;
    for (const other of SHORTCUT_ACTIONS) {
      if (other !== action && next[other] === combo) {
        next[other] = '';
        displaced = other;
      }
    }
    next[action] = combo;
    this.save(next);
    return displaced;
  }

  /** Restores the factory defaults. */
  reset(): void {
    this.save({ ...DEFAULT_SHORTCUTS });
  }

  private save(next: Record<ShortcutAction, string>): void {
    this.pending = next;
    appSettings.update({ shortcuts: next }).then(
      () => {
        if (this.pending === next) this.pending = null;
        this.error = null;
      },
      (thrown: unknown) => {
        // The map still works for this session; Settings says it was not stored.
        this.error = `Could not save the shortcuts: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
      },
    );
  }
}

/** The app-wide shortcut map (Settings edits it, the dataset view reads it). */
export const shortcuts = new Shortcuts();
