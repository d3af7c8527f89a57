// Unit: the image allow-list hands out opaque tokens for absolute image paths only.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { ImageRegistry } from '../../../electron/node/imageRegistry.ts';
import { imageTokenFromPath } from '../../../electron/shared/ipc/images.ts';

describe('ImageRegistry', () => {
  const file = path.resolve('/data/pics/cat.JPG');

  it('registers a path once and resolves its token', () => {
    const registry = new ImageRegistry();
    const entry = registry.register(file);
    expect(entry).toMatchObject({ path: file, mime: 'image/jpeg' });
    expect(registry.register(file).token).toBe(entry.token);
    expect(registry.lookup(entry.token)).toBe(entry);
    expect(imageTokenFromPath(registry.urlFor(file))).toBe(entry.token);
  });

  it('refuses relative paths and non-image files', () => {
    const registry = new ImageRegistry();
    expect(() => registry.register('pics/cat.png')).toThrow(/absolute/);
    expect(() => registry.register('/etc/passwd')).toThrow(/Unsupported image type/);
  });

  it('forgets unregistered tokens and never resolves unknown ones', () => {
    const registry = new ImageRegistry();
    const { token } = registry.register(file);
    registry.unregister(token);
    expect(registry.lookup(token)).toBeUndefined();
    expect(registry.lookup('../../etc/passwd')).toBeUndefined();
  });
});
