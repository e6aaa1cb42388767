import { resolve } from 'node:path';

const __dirname = import.meta.dirname;
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';

// Native modules (onnxruntime-node, sharp, better-sqlite3) are in `dependencies`, so electron-vite
// keeps them as runtime `require()`s instead of inlining their `.node` binaries.
export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          // The decode/inference process (Electron utilityProcess). It never imports `electron`.
          worker: resolve(__dirname, 'src/worker/index.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload cannot require() node_modules: bundle everything into one CJS file.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    build: { rollupOptions: { input: resolve(__dirname, 'src/renderer/index.html') } },
    resolve: { alias: { '@renderer': resolve(__dirname, 'src/renderer/src') } },
    plugins: [react()],
  },
});
