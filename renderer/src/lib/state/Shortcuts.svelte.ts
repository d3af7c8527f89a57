// Renderer: configurable review shortcuts (rune class), persisted in localStorage; matches keyboard events to actions.

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

const STORAGE_KEY = 'slime.shortcuts.v1';
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

function load(): Record<ShortcutAction, string> {
  const out = { ...DEFAULT_SHORTCUTS };
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Record<string, unknown>;
    for (const action of SHORTCUT_ACTIONS) {
      const combo = saved[action];
      if (typeof combo === 'string' && combo.length > 0) out[action] = combo;
    }
  } catch {
    // A damaged entry falls back to the defaults.
  }
  return out;
}

/** The user's shortcut map. */
export class Shortcuts {
  bindings: Record<ShortcutAction, string> = $state(load());

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
    let displaced: ShortcutAction | null = null;
    for (const other of SHORTCUT_ACTIONS) {
      if (other !== action && this.bindings[other] === combo) {
        this.bindings[other] = '';
        displaced = other;
      }
    }
    this.bindings[action] = combo;
    this.save();
    return displaced;
  }

  /** Restores the factory defaults. */
  reset(): void {
    this.bindings = { ...DEFAULT_SHORTCUTS };
    this.save();
  }

  private save(): void {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(this.bindings));
    } catch {
      // Storage full or disabled: the map still works for this session.
    }
  }
}

/** The app-wide shortcut map (Settings edits it, the dataset view reads it). */
export const shortcuts = new Shortcuts();
