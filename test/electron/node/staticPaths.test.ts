// Unit: URL path → file inside the renderer folder (never outside) and MIME types, shared by every server.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { mimeFor, resolveStaticPath } from '../../../electron/node/staticPaths.ts';

const root = path.resolve('/srv/renderer');

describe('resolveStaticPath', () => {
  it('maps URL paths to files inside the root; / is index.html', () => {
    expect(resolveStaticPath(root, '/')).toBe(path.join(root, 'index.html'));
    expect(resolveStaticPath(root, '/assets/app.js')).toBe(path.join(root, 'assets', 'app.js'));
    expect(resolveStaticPath(root, '//assets/a%20b.css')).toBe(path.join(root, 'assets', 'a b.css'));
    expect(resolveStaticPath(`${root}/`, '/index.html')).toBe(path.join(root, 'index.html'));
  });

  it('refuses traversal, malformed encoding, NUL and backslashes', () => {
    for (const pathname of ['/..%2Fsecret.txt', '/assets/..%2F..%2Fsecret.txt', '/%E0%A4%A', '/a%00b', '/a%5C..%5Cb', '/..', '/%2e%2e']) {
      expect(resolveStaticPath(root, pathname)).toBeNull();
    }
  });
});

describe('mimeFor', () => {
  it('types the renderer build files by case-insensitive extension', () => {
    expect(mimeFor('/x/index.html')).toBe('text/html; charset=utf-8');
    expect(mimeFor('/x/app.JS')).toBe('text/javascript; charset=utf-8');
    expect(mimeFor('/x/font.woff2')).toBe('font/woff2');
    expect(mimeFor('/x/photo.jpg')).toBe('image/jpeg');
  });

  it('falls back to octet-stream for unknown or missing extensions', () => {
    expect(mimeFor('/x/data.bin')).toBe('application/octet-stream');
    expect(mimeFor('/x/Makefile')).toBe('application/octet-stream');
  });
});
