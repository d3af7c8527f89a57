// The URL scheme for local images (pure constants + helpers): every image the app registered is served at
// `/image/<token>` on the page's own origin — by the `slime:` protocol handler in Electron and by the
// e2e harness's HTTP server in tests — so the renderer builds the same relative URL in both worlds.

/** Path prefix of registered images on the app's origin. */
export const IMAGE_PATH_PREFIX = '/image/';

/** Tokens are opaque ids handed out by the image registry: letters, digits, `-` and `_` only. */
export const IMAGE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** The URL (relative to the app's origin) that displays the registered image `token`. */
export function imageUrl(token: string): string {
  if (!IMAGE_TOKEN_PATTERN.test(token)) throw new Error(`Not an image token: ${token}`);
  return `${IMAGE_PATH_PREFIX}${token}`;
}

/** The token named by a URL path like `/image/<token>`, or null when the path is anything else. */
export function imageTokenFromPath(pathname: string): string | null {
  if (!pathname.startsWith(IMAGE_PATH_PREFIX)) return null;
  const token = pathname.slice(IMAGE_PATH_PREFIX.length);
  return IMAGE_TOKEN_PATTERN.test(token) ? token : null;
}

/** Path prefix of stored images by content hash: `/image/sha/<sha256>`, served by asking the database's store. */
export const STORED_IMAGE_PATH_PREFIX = '/image/sha/';

/** The URL (relative to the app's origin) of the stored image with hex sha256 `sha`. */
export function storedImageUrl(sha: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha)) throw new Error(`Not a sha256: ${sha}`);
  return `${STORED_IMAGE_PATH_PREFIX}${sha}`;
}

/** The sha256 named by a path like `/image/sha/<sha256>`, or null when the path is anything else. */
export function storedImageShaFromPath(pathname: string): string | null {
  if (!pathname.startsWith(STORED_IMAGE_PATH_PREFIX)) return null;
  const sha = pathname.slice(STORED_IMAGE_PATH_PREFIX.length);
  return /^[0-9a-f]{64}$/.test(sha) ? sha : null;
}
