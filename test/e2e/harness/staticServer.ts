// e2e harness (test process): serves the built renderer (renderer/dist) and registered images on 127.0.0.1.
// Images live at /image/<token> on the same origin, exactly like the `slime:` protocol in Electron.
import http from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { ImageRegistry } from '../../../electron/node/imageRegistry.ts';
import { mimeFor, resolveStaticPath } from '../../../electron/node/staticPaths.ts';
import { IMAGE_PATH_PREFIX, imageTokenFromPath } from '../../../electron/shared/ipc/images.ts';

/** A running static server. */
export interface StaticServer {
  /** e.g. http://127.0.0.1:41234 */
  origin: string;
  close(): Promise<void>;
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
    void sendFile(res, file, mimeFor(file));
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
