// Node-only (browser-mode server): the HTTP server on 127.0.0.1 — the renderer's files, /web-api.js,
// registered images, `POST /api/<channel>` → router.dispatch, and `GET /api/events` (Server-Sent Events).
import http from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Router } from '../../shared/ipc/router.ts';
import type { ServiceDescriptor } from '../../shared/ipc/buildApi.ts';
import { err, type Result } from '../../shared/errors.ts';
import { IMAGE_PATH_PREFIX } from '../../shared/ipc/images.ts';
import { resolveImagePath, type StoredImageResolver } from '../imageRoutes.ts';
import type { ImageRegistry } from '../imageRegistry.ts';
import type { EventListener } from '../eventHub.ts';
import { hasSessionToken, isAllowedHost, isSameOriginRequest, newSessionToken, sessionCookie, tokensEqual } from './httpGuards.ts';
import { mimeFor, resolveStaticPath } from '../staticPaths.ts';
import { WEB_API_PATH, loadIndexPage, type IndexPage } from './staticFiles.ts';
import { API_PREFIX, EVENTS_PATH, webApiScript } from './webApiScript.ts';
import { fromWireJson, toWireJson } from './wireJson.ts';

/**
 * Largest request body. The image store takes images up to 100 MB, which are 133.4 MiB as base64 JSON;
 * nothing else the contracts carry comes close.
 */
export const MAX_BODY_BYTES = 140 * 1024 * 1024;
const HEARTBEAT_MS = 15_000;

/** What the server serves. */
export interface WebServerOptions {
  router: Router;
  descriptors: ServiceDescriptor[];
  /** Subscribes to every service event (Services.subscribe). */
  subscribe(listener: EventListener): () => void;
  images: ImageRegistry;
  /** Stored images by hash (`/image/sha/<sha256>`), asked of the database's store. */
  storedImage?: StoredImageResolver;
  /** The built renderer (renderer/dist). */
  rendererDir: string;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number;
  /** The session token (default: a fresh random one). */
  token?: string;
}

/** A listening server. */
export interface WebServer {
  port: number;
  origin: string;
  token: string;
  /** The URL to open: it hands the browser its session cookie, then redirects to the app. */
  url: string;
  /** Ends event streams and open connections, then stops listening. */
  close(): Promise<void>;
}

interface Context {
  options: WebServerOptions;
  page: IndexPage;
  script: string;
  token: string;
  port: number;
  streams: Set<http.ServerResponse>;
}

function securityHeaders(csp: string): Record<string, string> {
  return {
    'content-security-policy': `${csp}; frame-ancestors 'none'`,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'no-store',
  };
}

function sendResult(res: http.ServerResponse, status: number, result: Result<unknown>): void {
  const body = toWireJson(result);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendText(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
}

async function sendFile(res: http.ServerResponse, file: string, mime: string): Promise<void> {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) return sendText(res, 404, 'not found');
  res.writeHead(200, { 'content-type': mime, 'content-length': info.size });
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

/** Reads the body up to MAX_BODY_BYTES; null when it is larger. */
async function readBody(req: http.IncomingMessage): Promise<string | null> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function handleCall(ctx: Context, channel: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (req.method !== 'POST') return sendResult(res, 405, err('ipc/bad-args', 'Use POST with a JSON array of arguments'));
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    return sendResult(res, 415, err('ipc/bad-args', 'The body must be application/json'));
  }
  const body = await readBody(req);
  if (body === null) {
    res.setHeader('connection', 'close');
    return sendResult(res, 413, err('ipc/bad-args', `The request is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`));
  }
  let args: unknown;
  try {
    args = fromWireJson(body);
  } catch {
    return sendResult(res, 400, err('ipc/bad-args', 'The body is not valid JSON'));
  }
  if (!Array.isArray(args)) return sendResult(res, 400, err('ipc/bad-args', 'The body must be a JSON array of arguments'));
  sendResult(res, 200, await ctx.options.router.dispatch(channel, args));
}

function handleEvents(ctx: Context, req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.method !== 'GET') return sendResult(res, 405, err('ipc/bad-args', 'Use GET for the event stream'));
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
  res.write('retry: 1000\n\n');
  ctx.streams.add(res);
  const unsubscribe = ctx.options.subscribe((channel, payload) => {
    res.write(`data: ${toWireJson({ channel, payload })}\n\n`);
  });
  const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
  res.on('close', () => {
    clearInterval(heartbeat);
    unsubscribe();
    ctx.streams.delete(res);
  });
}

function handleApi(ctx: Context, pathname: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  if (pathname === EVENTS_PATH) return handleEvents(ctx, req, res);
  let channel: string;
  try {
    channel = decodeURIComponent(pathname.slice(API_PREFIX.length));
  } catch {
    return sendResult(res, 404, err('ipc/unknown-method', 'Malformed channel'));
  }
  handleCall(ctx, channel, req, res).catch((thrown: unknown) => {
    console.error(`[web] ${channel} failed:`, thrown);
    if (!res.headersSent) sendResult(res, 500, err('internal', 'The request failed'));
    else res.destroy();
  });
}

/** GET /?token=… : hands out the session cookie and redirects to the app without the token in the URL. */
function handleTokenExchange(ctx: Context, presented: string, res: http.ServerResponse): void {
  if (!tokensEqual(presented, ctx.token)) return sendText(res, 401, 'Wrong session token: open the URL printed by `npm run web`.');
  res.writeHead(303, { location: '/', 'set-cookie': sessionCookie(ctx.token, ctx.port) }).end();
}

function handleStatic(ctx: Context, pathname: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed');
  if (pathname.startsWith(IMAGE_PATH_PREFIX)) {
    void resolveImagePath(pathname, ctx.options.images, ctx.options.storedImage).then((image) =>
      image ? sendFile(res, image.path, image.mime) : sendText(res, 404, 'not found'),
    );
    return;
  }
  if (pathname === WEB_API_PATH) {
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(ctx.script);
    return;
  }
  if (pathname === '/' || pathname === '/index.html') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(ctx.page.html);
    return;
  }
  const file = resolveStaticPath(ctx.options.rendererDir, pathname);
  if (!file) return sendText(res, 404, 'not found');
  void sendFile(res, file, mimeFor(file));
}

function handle(ctx: Context, req: http.IncomingMessage, res: http.ServerResponse): void {
  for (const [name, value] of Object.entries(securityHeaders(ctx.page.csp))) res.setHeader(name, value);
  const url = new URL(req.url ?? '/', `http://127.0.0.1:${ctx.port}`);
  const isApi = url.pathname.startsWith(API_PREFIX);
  const refuse = (status: number, code: 'ipc/bad-sender', message: string): void =>
    isApi ? sendResult(res, status, err(code, message)) : sendText(res, status, message);
  if (!isAllowedHost(req.headers.host, ctx.port)) return refuse(403, 'ipc/bad-sender', 'Forbidden host');
  if (!isSameOriginRequest(req.headers, ctx.port)) return refuse(403, 'ipc/bad-sender', 'Cross-origin requests are refused');
  const presented = url.searchParams.get('token');
  if (url.pathname === '/' && presented !== null && req.method === 'GET') return handleTokenExchange(ctx, presented, res);
  if (!hasSessionToken(req.headers, ctx.token, ctx.port)) {
    return refuse(401, 'ipc/bad-sender', 'Not signed in: open the URL (with ?token=…) that `npm run web` printed.');
  }
  if (isApi) return handleApi(ctx, url.pathname, req, res);
  handleStatic(ctx, url.pathname, req, res);
}

/** Starts listening on 127.0.0.1 (never another interface). Rejects when the port is taken. */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const page = loadIndexPage(options.rendererDir);
  const token = options.token ?? newSessionToken();
  const ctx: Context = { options, page, script: webApiScript(options.descriptors), token, port: 0, streams: new Set() };
  const server = http.createServer((req, res) => handle(ctx, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  ctx.port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${ctx.port}`;
  return {
    port: ctx.port,
    origin,
    token,
    url: `${origin}/?token=${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const stream of ctx.streams) stream.end();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
