// Node-only (browser-mode server): builds renderer/dist with Vite when it is missing or older than the
// renderer's sources (a child process, so nothing here imports Vite).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../paths.ts';

/** The renderer build browser mode serves by default. */
export const RENDERER_DIST = path.join(REPO_ROOT, 'renderer', 'dist');

/** Everything the renderer bundle is built from. */
const SOURCES = ['renderer/src', 'renderer/index.html', 'renderer/vite.config.ts', 'svelte.config.js', 'electron/shared'];

function newestMtime(entry: string): number {
  const info = statSync(entry, { throwIfNoEntry: false });
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const name of readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, name)));
  return newest;
}

/** True when renderer/dist/index.html is missing or older than any renderer source. */
export function rendererIsStale(): boolean {
  const built = statSync(path.join(RENDERER_DIST, 'index.html'), { throwIfNoEntry: false });
  if (!built) return true;
  return SOURCES.some((s) => newestMtime(path.join(REPO_ROOT, s)) > built.mtimeMs);
}

/** Runs `vite build --config renderer/vite.config.ts` with this Node; rejects when it fails. */
export function buildRenderer(): Promise<void> {
  const vite = path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) return Promise.reject(new Error(`Vite is not installed (${vite}): run \`npm ci\` first.`));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build', '--config', 'renderer/vite.config.ts'], { cwd: REPO_ROOT, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`Building the renderer failed (vite exited with ${code})`))));
  });
}

/** Builds the renderer when it is missing or stale; returns whether it built. */
export async function ensureRendererBuilt(log: (line: string) => void): Promise<boolean> {
  if (!rendererIsStale()) return false;
  log('Building the renderer (renderer/dist is missing or older than its sources)…');
  await buildRenderer();
  return true;
}
