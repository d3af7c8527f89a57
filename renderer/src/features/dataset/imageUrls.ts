// Renderer: stored-image URLs by sha256, asked once per image through `dataset.imageUrl` and cached for the session.
import { api } from '../../lib/api/client.ts';

const pending = new Map<string, Promise<string | null>>();
const known = new Map<string, string | null>();

/** The URL of a stored image if it is already known (undefined: not asked yet or still in flight). */
export function knownImageUrl(sha256: string): string | null | undefined {
  return known.get(sha256);
}

/** The `/image/<token>` URL of a stored image, or null when it cannot be shown. */
export function imageUrlFor(sha256: string): Promise<string | null> {
  let url = pending.get(sha256);
  if (!url) {
    url = api.dataset.imageUrl(sha256).then(
      (value) => {
        known.set(sha256, value);
        return value;
      },
      () => {
        pending.delete(sha256);
        return null;
      },
    );
    pending.set(sha256, url);
  }
  return url;
}
