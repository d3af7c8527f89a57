// Node-only: what an ask-a-folder job reads — the image files under a folder (recursive, stable order) and the
// questions (typed, or a text/JSON file, optionally per image).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { AppFailure } from '../../shared/errors.ts';

/** File name endings the scan picks up: every format the engine and the store decode (sharp, plus BMP and TGA: imageFormats.ts). */
export const IMAGE_EXTENSIONS = new Set([
  '.png',
  '.jpg',
  '.jpeg',
  '.webp',
  '.gif',
  '.tif',
  '.tiff',
  '.avif',
  '.heic',
  '.heif',
  '.bmp',
  '.tga',
]);

/** An image file found by the scan: absolute path and the path relative to the folder with '/' separators. */
export interface FoundFile {
  file: string;
  relative: string;
}

/** Image files under `folder`, recursively, sorted by relative path; hidden entries are skipped. Errors: `io/not-found`. */
export async function listImageFiles(folder: string): Promise<FoundFile[]> {
  const root = path.resolve(folder);
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
    throw new AppFailure(
      e.code === 'ENOENT' || e.code === 'ENOTDIR' ? 'io/not-found' : 'io/permission',
      `Cannot read the folder ${root}: ${e.message}`,
    );
  });
  const found: FoundFile[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) continue;
    const file = path.join(entry.parentPath, entry.name);
    const relative = path.relative(root, file).split(path.sep).join('/');
    if (relative.split('/').some((part) => part.startsWith('.'))) continue;
    found.push({ file, relative });
  }
  return found.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
}

/** Questions from a file. */
export interface QuestionFile {
  questions: string[];
  perImage: Record<string, string[]>;
}

function clean(list: unknown, where: string): string[] {
  if (!Array.isArray(list) || !list.every((q) => typeof q === 'string'))
    throw new AppFailure('ipc/bad-args', `${where} must be a list of question strings`);
  return (list as string[]).map((q) => q.trim()).filter((q) => q.length > 0);
}

/**
 * Reads questions: a `.json` file holds a list of strings, or `{ "questions": [...], "perImage": { "sub/a.png": [...] } }`;
 * any other file holds one question per line (blank lines and lines starting with `#` are skipped).
 * Errors: `io/not-found`, `ipc/bad-args`.
 */
export async function readQuestionFile(file: string): Promise<QuestionFile> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new AppFailure('io/not-found', `Cannot read the questions file ${file}: ${e.message}`);
  });
  if (path.extname(file).toLowerCase() !== '.json') {
    const questions = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l.length > 0 && !l.startsWith('#'));
    return { questions, perImage: {} };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (thrown) {
    throw new AppFailure('ipc/bad-args', `${file} is not valid JSON: ${(thrown as Error).message}`);
  }
  if (Array.isArray(data)) return { questions: clean(data, file), perImage: {} };
  if (typeof data !== 'object' || data === null) throw new AppFailure('ipc/bad-args', `${file} must hold a list or an object`);
  const o = data as { questions?: unknown; perImage?: unknown };
  const perImage: Record<string, string[]> = {};
  if (o.perImage !== undefined) {
    if (typeof o.perImage !== 'object' || o.perImage === null) throw new AppFailure('ipc/bad-args', `${file}: perImage must be an object`);
    for (const [key, list] of Object.entries(o.perImage)) perImage[key.split('\\').join('/')] = clean(list, `${file}: perImage["${key}"]`);
  }
  return { questions: o.questions === undefined ? [] : clean(o.questions, `${file}: questions`), perImage };
}

/** The questions asked about one image: the shared ones, then its own (each once, in order). */
export function questionsFor(relative: string, shared: readonly string[], perImage: Record<string, string[]>): string[] {
  return [...new Set([...shared, ...(perImage[relative] ?? [])])];
}
