// Migration 5: reserved for chat15's branch (SESSION2-PLAN.md fixes the numbers so branches merge in any order).
// PLACEHOLDER on branch `mine` only — when merging, keep chat15's real 0005 and drop this file (database worker).
import type { Migration } from './migration.ts';

/** No-op stand-in so migration 6 can run on this branch. */
export const migration0005: Migration = {
  version: 5,
  name: 'reserved-chat15',
  up() {},
};
