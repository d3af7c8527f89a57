// Build config of the renderer (Node, build time): Svelte 5, the `$shared` alias, output to renderer/dist.
// electron.vite.config.ts reuses rendererViteConfig for the app build.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { defineConfig, type UserConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const rendererRoot = path.dirname(fileURLToPath(import.meta.url));

/** Shared renderer settings (root, alias, plugins); `outDir` is set by each caller. */
export const rendererViteConfig: UserConfig = {
  root: rendererRoot,
  base: './',
  plugins: [svelte({ configFile: path.join(rendererRoot, '..', 'svelte.config.js') })],
  resolve: {
    alias: { $shared: path.join(rendererRoot, '..', 'electron', 'shared') },
  },
  build: {
    target: 'chrome140',
    emptyOutDir: true,
    rollupOptions: { input: path.join(rendererRoot, 'index.html') },
  },
};

export default defineConfig({
  ...rendererViteConfig,
  build: { ...rendererViteConfig.build, outDir: path.join(rendererRoot, 'dist') },
  logLevel: 'warn',
});
