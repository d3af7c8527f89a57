// Node: which file an image URL on the app's origin names — `/image/sha/<sha256>` asks the database's store,
// `/image/<token>` the registry of files the app registered. Shared by the `slime:` protocol and the browser-mode server.
import path from 'node:path';
import { imageTokenFromPath, storedImageShaFromPath, IMAGE_PATH_PREFIX } from '../shared/ipc/images.ts';
import { IMAGE_MIME_TYPES, type ImageRegistry } from './imageRegistry.ts';

/** Resolves a stored image's sha256 to its file, or null (the database layer owns the store's layout). */
export type StoredImageResolver = (sha256: string) => Promise<string | null>;

/** A file to send for an image path, or null when the path names no image the app may show. */
export async function resolveImagePath(
  pathname: string,
  images: ImageRegistry,
  stored: StoredImageResolver | undefined,
): Promise<{ path: string; mime: string } | null> {
  if (!pathname.startsWith(IMAGE_PATH_PREFIX)) return null;
  const sha = storedImageShaFromPath(pathname);
  if (sha !== null) {
    const file = stored ? await stored(sha).catch(() => null) : null;
    const mime = file ? IMAGE_MIME_TYPES[path.extname(file).toLowerCase()] : undefined;
    return file && mime ? { path: file, mime } : null;
  }
  const token = imageTokenFromPath(pathname);
  const entry = token === null ? undefined : images.lookup(token);
  return entry ? { path: entry.path, mime: entry.mime } : null;
}
