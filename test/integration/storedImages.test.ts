// Integration: stored images by hash — `/image/sha/<sha256>` is resolved by asking the database worker (the store's
// owner), for the `slime:` protocol and the browser-mode server alike; unknown hashes and malformed paths are not found.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Services } from '../../electron/node/services/createServices.ts';
import { resolveImagePath } from '../../electron/node/imageRoutes.ts';
import { startServices } from './fixtures/services.ts';
import { storedImageUrl } from '../../electron/shared/ipc/images.ts';
import type { ImageRecord } from '../../electron/shared/ipc/dataset.ts';
import { makePng, tempDir } from '../database/fixtures.ts';

let services: Services | undefined;
afterAll(async () => services?.dispose());

describe('stored images by hash', () => {
  it('serves /image/sha/<sha256> from the store and nothing else', async () => {
    const dataDir = tempDir('slime-images-');
    const started = await startServices(dataDir);
    services = started.services;
    const router = started.router;
    const r = await router.dispatch('dataset:addImage', [new Uint8Array(await makePng(4)), 'four.png']);
    const image = (r as { ok: true; value: ImageRecord }).value;
    const found = await resolveImagePath(storedImageUrl(image.sha256), services.images, services.storedImage);
    expect(found).toEqual({ path: image.path, mime: 'image/png' });
    expect(fs.readFileSync(found!.path).length).toBe(image.bytes);

    const other = 'f'.repeat(64);
    fs.writeFileSync(path.join(path.dirname(image.path), `${other}.png.tmp-123`), 'partial');
    expect(await resolveImagePath(storedImageUrl(other), services.images, services.storedImage)).toBeNull();
    expect(await resolveImagePath(`/image/sha/${image.sha256.toUpperCase()}`, services.images, services.storedImage)).toBeNull();
    expect(await resolveImagePath(`/image/sha/../${image.sha256}`, services.images, services.storedImage)).toBeNull();
  });
});
