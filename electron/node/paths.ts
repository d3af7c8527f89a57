// Node-only: resolves the project's folders (inference entry, shipped model, default data dir) for the
// CLI, tests and the e2e bridge. Electron main resolves its own from app.getPath and resourcesPath.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import os from 'node:os';

/** Repository root (two levels above this file). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Entry of the inference process, run by fork. */
export const INFERENCE_ENTRY = path.join(REPO_ROOT, 'electron', 'inference', 'main.ts');

/** The shipped SliME-Nano model folder. */
export const DEFAULT_MODEL_DIR = path.join(REPO_ROOT, 'models', 'nano');

/** Default data directory outside Electron: $SLIME_DATA_DIR, else ~/.slime-studio. */
export function defaultDataDir(): string {
  return process.env.SLIME_DATA_DIR ?? path.join(os.homedir(), '.slime-studio');
}
