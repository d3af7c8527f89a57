// Renderer: stored-image URLs by sha256, asked once per image through `dataset.imageUrl` and cached for the session.
import { api } from '../../lib/api/client.ts';

const cache = new Map<string, Promise<string | null>>();

/** The `/image/<token>` URL of a stored image, or null when it cannot be shown. */
export function imageUrlFor(sha256: string): Promise<string | null> {
  let url = cache.get(sha256);
  if (!url) {
    url = api.dataset.imageUrl(sha256).catch(() => {
      cache.delete(sha256);
      return null;
    });
    cache.set(sha256, url);
  }
  return url;
}
