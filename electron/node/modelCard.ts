// Node: reads a model folder's card (`card.json` beside manifest.json). When the manifest names the card with a
// sha256 (`"card": { "file", "sha256", "bytes" }`), the file must match it; a missing, mismatching or malformed card
// gives no card and a sentence saying why (a folder without a card is normal: converted models may have none).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { modelCardSchema, type ModelCard } from '../shared/ipc/modelCard.ts';

/** A card read from a folder, or why there is none. */
export interface ReadCard {
  card: ModelCard | null;
  problem: string | null;
}

interface CardEntry {
  file?: unknown;
  sha256?: unknown;
}

/** The manifest's `card` entry, or null when the manifest has none (or cannot be read). */
async function manifestEntry(dir: string): Promise<CardEntry | null> {
  const text = await readFile(path.join(dir, 'manifest.json'), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const entry = (JSON.parse(text) as { card?: unknown }).card;
    return typeof entry === 'object' && entry !== null ? (entry as CardEntry) : null;
  } catch {
    return null;
  }
}

/** Reads and checks the card of model folder `dir`. */
export async function readModelCard(dir: string): Promise<ReadCard> {
  const entry = await manifestEntry(dir);
  const name = typeof entry?.file === 'string' && entry.file === path.basename(entry.file) ? entry.file : 'card.json';
  const bytes = await readFile(path.join(dir, name)).catch(() => null);
  if (!bytes) return { card: null, problem: `This model folder has no ${name} (no model card).` };
  if (typeof entry?.sha256 === 'string' && createHash('sha256').update(bytes).digest('hex') !== entry.sha256.toLowerCase()) {
    return { card: null, problem: `${name} does not match its manifest entry (sha256), so it is not shown.` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    return { card: null, problem: `${name} is not valid JSON: ${(e as Error).message}` };
  }
  const parsed = modelCardSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { card: null, problem: `${name} is malformed at ${issue.path.join('.') || '(root)'}: ${issue.message}` };
  }
  return { card: parsed.data, problem: null };
}

/** The absolute path of sample image `relative` when it lies inside `dir` and exists, else null. */
export function sampleImagePath(dir: string, relative: string): string | null {
  const root = path.resolve(dir);
  const file = path.resolve(root, relative);
  if (!file.startsWith(root + path.sep) || !existsSync(file)) return null;
  return file;
}
