// Path confinement for import and export: relative paths only, no `..` escape, no symlink leading outside (database worker).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppFailure } from '../electron/shared/errors.ts';

/** True when `child` is `root` or lies under it (both absolute, normalised). */
export function isInside(root: string, child: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Resolves a relative path from a dataset file against its real folder `root`. Rejects absolute paths, `..` escapes
 * and symlinks whose target lies outside `root`. Throws `dataset/path-escape` or `io/not-found`.
 */
export async function resolveInside(root: string, relative: string): Promise<string> {
  if (relative.includes('\0')) throw new AppFailure('dataset/path-escape', 'path contains a NUL byte');
  if (path.isAbsolute(relative) || path.win32.isAbsolute(relative))
    throw new AppFailure('dataset/path-escape', `absolute path ${relative} is not allowed`);
  const joined = path.resolve(root, relative);
  if (!isInside(root, joined)) throw new AppFailure('dataset/path-escape', `path ${relative} leaves the dataset's folder`);
  let real: string;
  try {
    real = await fs.realpath(joined);
  } catch {
    throw new AppFailure('io/not-found', `image not found: ${relative}`);
  }
  if (!isInside(root, real)) throw new AppFailure('dataset/path-escape', `path ${relative} is a link that leaves the dataset's folder`);
  return real;
}

/** A fresh, hidden temp name for `name` in `dir` (`.name.<random>.tmp`). */
function hiddenTemp(dir: string, name: string): string {
  return path.join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Lets `write` create `temp`, then renames it onto `target`, so a crash never leaves half a file and an existing
 * symlink at `target` is replaced, never followed. The temp file is removed when either step fails.
 */
export async function replaceViaTemp(temp: string, target: string, write: (temp: string) => Promise<void>): Promise<void> {
  try {
    await write(temp);
    await fs.rename(temp, target);
  } catch (thrown) {
    await fs.rm(temp, { force: true });
    throw thrown;
  }
}

/** Creates `dir` (relative to `root`) and checks that its real location is still inside `root`. */
export async function ensureDirInside(root: string, dir: string): Promise<string> {
  const target = path.resolve(root, dir);
  if (!isInside(root, target)) throw new AppFailure('dataset/path-escape', `folder ${dir} leaves the export folder`);
  await fs.mkdir(target, { recursive: true });
  const real = await fs.realpath(target);
  if (!isInside(root, real)) throw new AppFailure('dataset/path-escape', `folder ${dir} is a link that leaves the export folder`);
  return real;
}

/** Writes `data` to `root/relative` through a fresh temp file and a rename, so an existing symlink there is replaced, never followed. */
export async function writeInside(root: string, relative: string, data: string | Uint8Array): Promise<void> {
  const dir = await ensureDirInside(root, path.dirname(relative));
  const name = path.basename(path.resolve(root, relative));
  await replaceViaTemp(hiddenTemp(dir, name), path.join(dir, name), (temp) => fs.writeFile(temp, data, { flag: 'wx' }));
}

/** Copies `source` to `root/relative` the same way (skips when a regular file of the same size is already there). */
export async function copyInside(root: string, relative: string, source: string, size: number): Promise<boolean> {
  const dir = await ensureDirInside(root, path.dirname(relative));
  const target = path.join(dir, path.basename(relative));
  const existing = await fs.lstat(target).catch(() => undefined);
  if (existing?.isFile() && existing.size === size) return false;
  await replaceViaTemp(hiddenTemp(dir, path.basename(target)), target, (temp) => fs.copyFile(source, temp, fs.constants.COPYFILE_EXCL));
  return true;
}

/** Creates the export folder and returns its real path. Throws `io/permission`/`db/read-only` style errors as they come. */
export async function prepareOutDir(outDir: string): Promise<string> {
  if (!path.isAbsolute(outDir)) throw new AppFailure('dataset/path-escape', 'The export folder must be an absolute path.');
  try {
    await fs.mkdir(outDir, { recursive: true });
  } catch (thrown) {
    // Recursive mkdir reports ENOENT on a read-only file system; a plain mkdir of the last level gives the real cause.
    if ((thrown as NodeJS.ErrnoException).code !== 'ENOENT') throw thrown;
    await fs.mkdir(outDir);
  }
  return fs.realpath(outDir);
}
