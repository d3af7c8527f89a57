// Unit: the `slime:` protocol serves renderer files and registered images only (no traversal, no other host).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Protocol } from 'electron';
import { APP_ENTRY_URL, handleAppProtocol, originOf, resolveAppRequest } from '../../../electron/main/appProtocol.ts';
import { ImageRegistry } from '../../../electron/node/imageRegistry.ts';

let dir: string;
let rendererDir: string;
let imageFile: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'slime-proto-'));
  rendererDir = path.join(dir, 'renderer');
  await mkdir(path.join(rendererDir, 'assets'), { recursive: true });
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>x</title>');
  await writeFile(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(path.join(dir, 'secret.txt'), 'secret');
  imageFile = path.join(dir, 'photo.png');
  await writeFile(imageFile, Buffer.from([0x89, 0x50, 0x4e, 0x47]));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('resolveAppRequest', () => {
  it('maps app URLs to files inside the renderer folder', () => {
    const images = new ImageRegistry();
    expect(resolveAppRequest(APP_ENTRY_URL, rendererDir, images)).toEqual({
      kind: 'file',
      path: path.join(rendererDir, 'index.html'),
      mime: 'text/html; charset=utf-8',
    });
    expect(resolveAppRequest('slime://app/', rendererDir, images)).toMatchObject({ path: path.join(rendererDir, 'index.html') });
    expect(resolveAppRequest('slime://app/assets/app.js?v=1', rendererDir, images)).toMatchObject({
      path: path.join(rendererDir, 'assets', 'app.js'),
      mime: 'text/javascript; charset=utf-8',
    });
  });

  it('refuses traversal, other hosts and malformed paths', () => {
    const images = new ImageRegistry();
    for (const url of [
      'slime://app/..%2Fsecret.txt',
      'slime://app/assets/..%2F..%2Fsecret.txt',
      'slime://other/index.html',
      'slime://app/%E0%A4%A',
      'slime://app/a%00b',
      'https://app/index.html',
    ]) {
      expect(resolveAppRequest(url, rendererDir, images)).toEqual({ kind: 'not-found' });
    }
    // The URL parser removes dot segments itself; what is left must still lie inside the renderer folder.
    const dotted = resolveAppRequest('slime://app/%2e%2e/%2e%2e/secret.txt', rendererDir, images);
    expect(dotted.kind === 'file' && dotted.path).toBe(path.join(rendererDir, 'secret.txt'));
  });

  it('serves registered images by token and nothing else under /image/', () => {
    const images = new ImageRegistry();
    const { token } = images.register(imageFile);
    expect(resolveAppRequest(`slime://app/image/${token}`, rendererDir, images)).toEqual({
      kind: 'file',
      path: imageFile,
      mime: 'image/png',
    });
    expect(resolveAppRequest('slime://app/image/unknown', rendererDir, images)).toEqual({ kind: 'not-found' });
    expect(resolveAppRequest('slime://app/image/..%2Fsecret.txt', rendererDir, images)).toEqual({ kind: 'not-found' });
  });

  it('computes origins of custom schemes', () => {
    expect(originOf('slime://app/index.html')).toBe('slime://app');
    expect(originOf('http://localhost:5173/x')).toBe('http://localhost:5173');
    expect(originOf('not a url')).toBeNull();
  });
});

describe('handleAppProtocol', () => {
  it('answers requests with file bytes and 404s', async () => {
    let handler: ((request: Request) => Promise<Response> | Response) | undefined;
    const fakeProtocol = { handle: (_scheme: string, h: typeof handler) => (handler = h) } as unknown as Protocol;
    const images = new ImageRegistry();
    handleAppProtocol(fakeProtocol, rendererDir, images);
    const index = await handler!(new Request(APP_ENTRY_URL));
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<title>x</title>');
    const img = await handler!(new Request(`slime://app${images.urlFor(imageFile)}`));
    expect(img.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await img.arrayBuffer())).toEqual(new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
    expect((await handler!(new Request('slime://app/..%2Fsecret.txt'))).status).toBe(404);
    expect((await handler!(new Request('slime://app/missing.js'))).status).toBe(404);
  });
});
