// e2e harness (test process): serves the built renderer (renderer/dist) and registered images on 127.0.0.1.
// Images live at /image/<token> on the same origin, exactly like the `slime:` protocol in Electron.
import http from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { ImageRegistry } from '../../../electron/node/imageRegistry.ts';
import { IMAGE_PATH_PREFIX, imageTokenFromPath } from '../../../electron/shared/ipc/images.ts';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** A running static server. */
export interface StaticServer {
  /** e.g. http://127.0.0.1:41234 */
  origin: string;
  close(): Promise<void>;
}

/** The file under `root` that `pathname` names, or null when it would leave `root`. */
export function resolveStaticPath(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const relative = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
  const file = path.resolve(root, relative);
  return file.startsWith(path.resolve(root) + path.sep) ? file : null;
}

async function sendFile(res: http.ServerResponse, file: string, mime: string): Promise<void> {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) {
    res.writeHead(404).end('not found');
    return;
  }
  res.writeHead(200, { 'content-type': mime, 'content-length': info.size, 'cache-control': 'no-store' });
  createReadStream(file).pipe(res);
}

/** Serves `root` and the images of `images` on a random free port of 127.0.0.1. */
export async function startStaticServer(root: string, images: ImageRegistry): Promise<StaticServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith(IMAGE_PATH_PREFIX)) {
      const token = imageTokenFromPath(url.pathname);
      const entry = token === null ? undefined : images.lookup(token);
      if (!entry) res.writeHead(404).end('not found');
      else void sendFile(res, entry.path, entry.mime);
      return;
    }
    const file = resolveStaticPath(root, url.pathname);
    if (!file) {
      res.writeHead(403).end('forbidden');
      return;
    }
    void sendFile(res, file, MIME[path.extname(file)] ?? 'application/octet-stream');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
