// Unit: the image URL scheme (/image/<token>) accepts only opaque tokens.
import { describe, expect, it } from 'vitest';
import { imageTokenFromPath, imageUrl } from '../../../../electron/shared/ipc/images.ts';

describe('image urls', () => {
  it('round-trips a token', () => {
    expect(imageUrl('abc_DEF-123')).toBe('/image/abc_DEF-123');
    expect(imageTokenFromPath('/image/abc_DEF-123')).toBe('abc_DEF-123');
  });

  it('rejects anything that is not a plain token', () => {
    for (const p of ['/image/../package.json', '/image/a/b', '/image/', '/images/x', '/image/%2e%2e', '/image/a.png']) {
      expect(imageTokenFromPath(p)).toBeNull();
    }
    expect(() => imageUrl('../x')).toThrow();
  });
});
