// Electron main: the `slime:` protocol. Serves the built renderer from slime://app/ and registered images at
// slime://app/image/<token>; nothing else (no path traversal: files must lie inside the renderer folder).
import { readFile } from 'node:fs/promises';
import type { Protocol } from 'electron';
import type { ImageRegistry } from '../node/imageRegistry.ts';
import { mimeFor, resolveStaticPath } from '../node/staticPaths.ts';
import { IMAGE_PATH_PREFIX, imageTokenFromPath, storedImageShaFromPath } from '../shared/ipc/images.ts';
import { resolveImagePath, type StoredImageResolver } from '../node/imageRoutes.ts';

/** The app's own scheme, host and origin. */
export const APP_SCHEME = 'slime';
export const APP_ORIGIN = `${APP_SCHEME}://app`;
/** Where the main window loads the renderer from in a built app. */
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** What a `slime:` request maps to. */
export type AppResource = { kind: 'file'; path: string; mime: string } | { kind: 'not-found' };

/** `protocol//host` of a URL (custom schemes have an opaque `URL.origin`), or null when unparsable. */
export function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

/** Maps a request URL to a file under `rendererDir` or a registered image; everything else is not found. */
export function resolveAppRequest(url: string, rendererDir: string, images: ImageRegistry): AppResource {
  if (originOf(url) !== APP_ORIGIN) return { kind: 'not-found' };
  const { pathname } = new URL(url);
  if (pathname.startsWith(IMAGE_PATH_PREFIX)) {
    const token = imageTokenFromPath(pathname);
    const entry = token === null ? undefined : images.lookup(token);
    return entry ? { kind: 'file', path: entry.path, mime: entry.mime } : { kind: 'not-found' };
  }
  const file = resolveStaticPath(rendererDir, pathname);
  return file === null ? { kind: 'not-found' } : { kind: 'file', path: file, mime: mimeFor(file) };
}

/** Declares `slime:` as a standard, secure scheme. Must run before the app is ready. */
export function registerAppScheme(protocol: Protocol): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** Answers `slime:` requests from the renderer folder, the image registry and (`/image/sha/<sha256>`) the image store. */
export function handleAppProtocol(protocol: Protocol, rendererDir: string, images: ImageRegistry, stored?: StoredImageResolver): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const sha = originOf(request.url) === APP_ORIGIN ? storedImageShaFromPath(new URL(request.url).pathname) : null;
    const image = sha === null ? null : await resolveImagePath(new URL(request.url).pathname, images, stored);
    const resource: AppResource =
      sha === null ? resolveAppRequest(request.url, rendererDir, images) : image ? { kind: 'file', ...image } : { kind: 'not-found' };
    if (resource.kind === 'not-found') return new Response('not found', { status: 404 });
    try {
      const body = await readFile(resource.path);
      return new Response(body, { headers: { 'content-type': resource.mime, 'cache-control': 'no-store' } });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
}
