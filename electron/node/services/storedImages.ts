// Stored images by hash (Node: main, CLI, browser-mode server): the database layer owns the store's layout, so a
// content hash is resolved by asking the worker (`getImage`), never by scanning the store's folders.
import { unwrap } from '../../shared/errors.ts';
import type { DatabaseClient } from '../../../database/client.ts';

/** Resolves a hex sha256 to the stored file's absolute path, or null when the store has no such image. */
export function storedImageResolver(db: DatabaseClient): (sha256: string) => Promise<string | null> {
  return async (sha256) => {
    const hash = sha256.toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hash)) return null;
    const result = await db.call('getImage', hash);
    if (!result.ok && result.error.code === 'db/not-found') return null;
    return unwrap(result).path;
  };
}
