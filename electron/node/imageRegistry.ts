// Node-only: the allow-list of local image files the app may show. Services register a file and hand the
// renderer an opaque token; the `slime:` protocol (Electron) and the e2e harness serve only registered files.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { AppFailure } from '../shared/errors.ts';
import { imageUrl } from '../shared/ipc/images.ts';

/** Content types of the image formats the app displays, by lower-case extension. */
export const IMAGE_MIME_TYPES: Readonly<Record<string, string>> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.bmp': 'image/bmp',
  '.avif': 'image/avif',
};

/** A registered image file. */
export interface RegisteredImage {
  token: string;
  path: string;
  mime: string;
}

/** Maps opaque tokens to absolute image paths; nothing else is ever served. */
export class ImageRegistry {
  private readonly byToken = new Map<string, RegisteredImage>();
  private readonly byPath = new Map<string, RegisteredImage>();

  /** Registers an image file (absolute path) and returns its entry; the same path keeps its token. */
  register(filePath: string): RegisteredImage {
    if (!path.isAbsolute(filePath)) throw new AppFailure('image/not-found', `Image path must be absolute: ${filePath}`);
    const resolved = path.resolve(filePath);
    const known = this.byPath.get(resolved);
    if (known) return known;
    const mime = IMAGE_MIME_TYPES[path.extname(resolved).toLowerCase()];
    if (!mime) throw new AppFailure('image/unsupported', `Unsupported image type: ${path.basename(resolved)}`);
    const entry: RegisteredImage = { token: randomBytes(18).toString('base64url'), path: resolved, mime };
    this.byToken.set(entry.token, entry);
    this.byPath.set(resolved, entry);
    return entry;
  }

  /** Registers `filePath` and returns the URL the renderer uses to display it. */
  urlFor(filePath: string): string {
    return imageUrl(this.register(filePath).token);
  }

  /** The registered image for `token`, or undefined. */
  lookup(token: string): RegisteredImage | undefined {
    return this.byToken.get(token);
  }

  /** Forgets an image (its URL stops working). */
  unregister(token: string): void {
    const entry = this.byToken.get(token);
    if (!entry) return;
    this.byToken.delete(token);
    this.byPath.delete(entry.path);
  }
}
