// Electron main: the `slime:` protocol. Serves the built renderer from slime://app/ and registered images at
// slime://app/image/<token>; nothing else (no path traversal: files must lie inside the renderer folder).
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import type { Protocol } from 'electron';
import type { ImageRegistry } from '../node/imageRegistry.ts';
import { IMAGE_PATH_PREFIX, imageTokenFromPath } from '../shared/ipc/images.ts';

/** The app's own scheme, host and origin. */
export const APP_SCHEME = 'slime';
export const APP_ORIGIN = `${APP_SCHEME}://app`;
/** Where the main window loads the renderer from in a built app. */
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

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
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { kind: 'not-found' };
  }
  if (decoded.includes('\0')) return { kind: 'not-found' };
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, ''));
  if (!file.startsWith(root + path.sep)) return { kind: 'not-found' };
  return { kind: 'file', path: file, mime: MIME[path.extname(file)] ?? 'application/octet-stream' };
}

/** Declares `slime:` as a standard, secure scheme. Must run before the app is ready. */
export function registerAppScheme(protocol: Protocol): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** Answers `slime:` requests from the renderer folder and the image registry. */
export function handleAppProtocol(protocol: Protocol, rendererDir: string, images: ImageRegistry): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const resource = resolveAppRequest(request.url, rendererDir, images);
    if (resource.kind === 'not-found') return new Response('not found', { status: 404 });
    try {
      const body = await readFile(resource.path);
      return new Response(body, { headers: { 'content-type': resource.mime, 'cache-control': 'no-store' } });
    } catch {
      return new Response('not found', { status: 404 });
    }
  });
}
