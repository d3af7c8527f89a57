// Build config of the Electron app (Node, build time): main (+ the inference process and the database worker
// as extra main-side entries), the sandboxed preload (one self-contained CommonJS file), and the renderer (renderer/vite.config.ts).
import path from 'node:path';
import { defineConfig } from 'electron-vite';
import { rendererViteConfig } from './renderer/vite.config.ts';

const root = import.meta.dirname;
/** Native modules: loaded from node_modules at run time (asar-unpacked), never bundled. */
const NATIVE = ['onnxruntime-node', 'better-sqlite3', 'sharp'];

export default defineConfig({
  main: {
    build: {
      outDir: path.join(root, 'out', 'main'),
      externalizeDeps: { include: NATIVE },
      rollupOptions: {
        input: {
          index: path.join(root, 'electron', 'main', 'index.ts'),
          inference: path.join(root, 'electron', 'inference', 'main.ts'),
          databaseWorker: path.join(root, 'database', 'worker.ts'),
        },
        external: NATIVE,
      },
    },
  },
  preload: {
    build: {
      outDir: path.join(root, 'out', 'preload'),
      // A sandboxed preload cannot require node_modules: bundle zod and the contracts into it.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: path.join(root, 'electron', 'preload', 'index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    ...rendererViteConfig,
    build: {
      ...rendererViteConfig.build,
      outDir: path.join(root, 'out', 'renderer'),
    },
  },
});
