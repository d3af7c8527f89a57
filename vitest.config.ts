// Test projects: unit (mirrors the code tree), integration (cross-process), e2e (real Chromium), electron-app (the built app).
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Rune classes (renderer/**/*.svelte.ts) are compiled by Svelte for the unit project; `$shared` as in the renderer.
const svelteForUnits = {
  plugins: [svelte({ configFile: path.resolve('svelte.config.js') })],
  resolve: { alias: { $shared: path.resolve('electron/shared') } },
};

export default defineConfig({
  test: {
    projects: [
      {
        ...svelteForUnits,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**', 'test/e2e/**', 'test/electron-app/**', '**/node_modules/**'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'electron-app',
          include: ['test/electron-app/**/*.test.ts'],
          environment: 'node',
          testTimeout: 200_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
