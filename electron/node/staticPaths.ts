// Node-only: what serving the built renderer's files needs everywhere (Electron's `slime:` protocol, the
// browser-mode server, the e2e harness) — URL path → file inside the folder (never outside), and MIME types.
import path from 'node:path';

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** MIME type for a file name by its (case-insensitive) extension; application/octet-stream when unknown. */
export function mimeFor(file: string): string {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file under `root` that the URL path names (`/` is index.html), or null when the path is malformed
 * (bad percent-encoding, NUL, backslash) or would leave `root`.
 */
export function resolveStaticPath(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const base = path.resolve(root);
  const file = path.resolve(base, decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, ''));
  return file.startsWith(base + path.sep) ? file : null;
}
