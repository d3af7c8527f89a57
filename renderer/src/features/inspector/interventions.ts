// Renderer: what each intervention on the kept set does (pure functions; unit-tested).

/** What an intervention does to the original kept set. */
export type InterventionKind = 'keep-only' | 'drop' | 'add' | 'global';

/** Words for each intervention kind (history and buttons). */
export const KIND_LABEL: Record<InterventionKind, string> = {
  'keep-only': 'keep only these',
  drop: 'drop these',
  add: 'add these to the kept set',
  global: 'global view only',
};

/** The kept set `kind` makes from the original kept set and the selection (ascending). */
export function keepSetFor(kind: InterventionKind, original: readonly number[], selected: readonly number[]): number[] {
  const sel = new Set(selected);
  const out =
    kind === 'keep-only'
      ? [...sel]
      : kind === 'drop'
        ? original.filter((j) => !sel.has(j))
        : kind === 'add'
          ? [...new Set([...original, ...sel])]
          : [];
  return out.sort((a, b) => a - b);
}
