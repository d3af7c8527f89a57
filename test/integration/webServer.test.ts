// Integration: browser mode (`npm run web`) as a real child process — token, Host, same-origin and path
// checks, POST /api/<channel> to the real services, bytes as base64 JSON, SSE events, clean SIGTERM.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_MODEL_DIR, REPO_ROOT } from '../../electron/node/paths.ts';
import { readAppVersion } from '../../electron/node/appVersion.ts';
import type { AppInfo } from '../../electron/shared/ipc/app.ts';
import type { Result } from '../../electron/shared/errors.ts';
import { storedImageUrl } from '../../electron/shared/ipc/images.ts';

const SERVER = path.join(REPO_ROOT, 'electron', 'node', 'web', 'server.ts');
const MODEL_DIR = existsSync(path.join(DEFAULT_MODEL_DIR, 'manifest.json'))
  ? DEFAULT_MODEL_DIR
  : path.join(REPO_ROOT, 'test', 'fixtures', 'slime-tiny');
const IMAGE = path.join(REPO_ROOT, 'test', 'fixtures', 'slime-tiny', 'images', 'square.png');

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

let tmp: string;
let dataDir: string;
let child: ChildProcess;
let output = '';
let port = 0;
let token = '';

/** One raw HTTP request (raw path: no URL normalisation, any Host header). */
function request(method: string, rawPath: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: rawPath, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const auth = (): Record<string, string> => ({ authorization: `Bearer ${token}` });

async function call<T>(
  channel: string,
  args: unknown[],
  headers: Record<string, string> = auth(),
): Promise<{ status: number; result: Result<T> }> {
  const reply = await request(
    'POST',
    `/api/${encodeURIComponent(channel)}`,
    { 'content-type': 'application/json', ...headers },
    JSON.stringify(args),
  );
  return { status: reply.status, result: JSON.parse(reply.body.toString('utf8')) as Result<T> };
}

/** Whether `pid` is a live process (a zombie waiting for its reaper counts as stopped). */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function waitForOutput(pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in server output:\n${output}`)), ms);
    const check = (): void => {
      const match = pattern.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve(match);
    };
    child.stdout?.on('data', check);
    check();
  });
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'slime-web-'));
  dataDir = path.join(tmp, 'data');
  const rendererDir = path.join(tmp, 'renderer');
  await mkdir(path.join(rendererDir, 'assets'), { recursive: true });
  await copyFile(path.join(REPO_ROOT, 'renderer', 'index.html'), path.join(rendererDir, 'index.html'));
  await writeFile(path.join(rendererDir, 'assets', 'app.js'), 'console.log("served");\n');
  await writeFile(path.join(tmp, 'secret.txt'), 'outside the renderer folder');
  child = spawn(process.execPath, [SERVER, '--port', '0', '--data-dir', dataDir, '--model-dir', MODEL_DIR, '--renderer-dir', rendererDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const [, url] = await waitForOutput(/Open:\s+(\S+)[^]*Press Ctrl\+C/, 60_000);
  const parsed = new URL(url ?? '');
  port = Number(parsed.port);
  token = parsed.searchParams.get('token') ?? '';
});

afterAll(async () => {
  if (child.exitCode === null) child.kill('SIGKILL');
  await rm(tmp, { recursive: true, force: true });
});

describe('browser-mode server', () => {
  it('prints a 127.0.0.1 URL with a random token and the data dir', () => {
    expect(port).toBeGreaterThan(0);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(output).toContain(`Data dir:  ${dataDir}`);
  });

  it('answers app.info through the real router with the Bearer token', async () => {
    const { status, result } = await call<AppInfo>('app:info', []);
    expect(status).toBe(200);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toMatchObject({ version: readAppVersion(), dataDir, defaultModelDir: MODEL_DIR, electron: null });
    expect(result.value.inferencePid).toBeGreaterThan(0);
  });

  it('refuses calls without or with a wrong token (401)', async () => {
    const none = await call('app:info', [], {});
    expect(none.status).toBe(401);
    expect(none.result).toMatchObject({ ok: false, error: { code: 'ipc/bad-sender' } });
    const wrong = await call('app:info', [], { authorization: `Bearer ${token.slice(1)}x` });
    expect(wrong.status).toBe(401);
    expect((await request('GET', '/', {})).status).toBe(401);
  });

  it('refuses foreign Host headers and cross-origin requests (403)', async () => {
    expect((await request('GET', '/', { ...auth(), host: `evil.example:${port}` })).status).toBe(403);
    expect((await request('GET', '/', { ...auth(), host: `127.0.0.1:${port + 1}` })).status).toBe(403);
    expect((await call('app:info', [], { ...auth(), host: `rebind.example:${port}` })).status).toBe(403);
    expect((await call('app:info', [], { ...auth(), origin: 'http://evil.example' })).status).toBe(403);
    expect((await call('app:info', [], { ...auth(), 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await call('app:info', [], { ...auth(), host: `localhost:${port}`, origin: `http://localhost:${port}` })).status).toBe(200);
  });

  it('hands out an HttpOnly SameSite=Strict cookie for the printed URL, which then authorises calls', async () => {
    expect((await request('GET', `/?token=${token.slice(1)}x`)).status).toBe(401);
    const reply = await request('GET', `/?token=${token}`, { 'sec-fetch-site': 'none' });
    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe('/');
    const cookie = reply.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const pair = cookie.split(';')[0] ?? '';
    expect((await call('app:info', [], { cookie: pair })).status).toBe(200);
  });

  it('serves index.html with web-api.js injected and the CSP of the page as a header', async () => {
    const page = await request('GET', '/', auth());
    const html = page.body.toString('utf8');
    expect(html.indexOf('<script src="/web-api.js"></script>')).toBeGreaterThan(html.indexOf('Content-Security-Policy'));
    expect(page.headers['content-security-policy']).toContain("default-src 'none'; script-src 'self';");
    expect(html).toContain(String(page.headers['content-security-policy']).replace("; frame-ancestors 'none'", ''));
    const script = await request('GET', '/web-api.js', auth());
    expect(script.body.toString('utf8')).toContain('"app:info"');
    expect((await request('GET', '/assets/app.js', auth())).body.toString('utf8')).toContain('served');
  });

  it('never serves a file outside the renderer folder (404)', async () => {
    for (const raw of [
      '/../secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2F..%2Fsecret.txt',
      '/%2e%2e%5csecret.txt',
      '/..%00/x',
    ]) {
      const reply = await request('GET', raw, auth());
      expect(reply.status, raw).toBe(404);
      expect(reply.body.toString('utf8')).not.toContain('outside');
    }
    expect((await request('GET', '/image/not-a-registered-token', auth())).status).toBe(404);
  });

  it('rejects non-JSON bodies (415), non-array bodies (400), oversized bodies (413) and bad arguments', async () => {
    const text = await request('POST', '/api/app%3Ainfo', { ...auth(), 'content-type': 'text/plain' }, '[]');
    expect(text.status).toBe(415);
    const object = await request('POST', '/api/app%3Ainfo', { ...auth(), 'content-type': 'application/json' }, '{}');
    expect(object.status).toBe(400);
    const huge = await request('POST', '/api/app%3Ainfo', {
      ...auth(),
      'content-type': 'application/json',
      'content-length': String(200 * 1024 * 1024),
    });
    expect(huge.status).toBe(413);
    expect((await call('app:info', [42])).result).toMatchObject({ ok: false, error: { code: 'ipc/bad-args' } });
    expect((await call('nope:nothing', [])).result).toMatchObject({ ok: false, error: { code: 'ipc/unknown-method' } });
  });

  it('carries image bytes as base64 JSON into the store and serves the stored image at /image/sha/<sha256>', async () => {
    const bytes = await readFile(IMAGE);
    const added = await call<{ sha256: string; width: number }>('dataset:addImage', [{ $bytes: bytes.toString('base64') }, 'square.png']);
    expect(added.result.ok).toBe(true);
    if (!added.result.ok) return;
    expect(added.result.value.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    // Stored images need no URL lookup: the hash is the address (dataset.imageUrl and its tokens are gone).
    expect((await call('dataset:imageUrl', [added.result.value.sha256])).result).toMatchObject({
      ok: false,
      error: { code: 'ipc/unknown-method' },
    });
    const url = storedImageUrl(added.result.value.sha256);
    const served = await request('GET', url, auth());
    expect(served.status).toBe(200);
    expect(served.body.equals(bytes)).toBe(true);
    expect((await request('GET', url, {})).status).toBe(401);
  });

  it('streams service events over SSE', async () => {
    const events: { channel: string; payload: unknown }[] = [];
    const stream = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, path: '/api/events', headers: { host: `127.0.0.1:${port}`, ...auth() } },
        resolve,
      );
      req.on('error', reject);
      req.end();
    });
    expect(stream.statusCode).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
        const data = /^data: (.*)$/m.exec(buffered.slice(0, end))?.[1];
        if (data) events.push(JSON.parse(data) as { channel: string; payload: unknown });
        buffered = buffered.slice(end + 2);
      }
    });
    const created = await call<{ id: number }>('dataset:createConversation', [{ title: 'over SSE' }]);
    expect(created.result.ok).toBe(true);
    const id = created.result.ok ? created.result.value.id : null;
    const deadline = Date.now() + 5000;
    while (!events.some((e) => e.channel === 'dataset:event:changed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    stream.destroy();
    expect(events).toContainEqual({ channel: 'dataset:event:changed', payload: { entity: 'conversations', ids: [id] } });
  });

  it('stops the inference process and exits 0 on SIGTERM', async () => {
    const info = await call<AppInfo>('app:info', []);
    const pid = info.result.ok ? info.result.value.inferencePid : null;
    expect(pid).toBeGreaterThan(0);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('Stopped.');
    const deadline = Date.now() + 5000;
    while (isRunning(pid ?? 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(isRunning(pid ?? 0)).toBe(false);
  });
});
