#!/usr/bin/env node
// Builds the `inspector` CLI and its worker into out/cli/ (plain ESM, dependencies left as imports
// from node_modules), so a CLI call starts in node's time, not TypeScript-compile time. Run by
// `npm ci` / `npm install` (the `prepare` script) and by `npm run build:cli`.
//
// out/cli/stamp.json lists every source file that went into the bundles with its size and mtime;
// bin/inspector.js compares them before using the build, so edited sources are never run stale
// (it runs from source instead). See docs/CLI.md.
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'out', 'cli');
const started = performance.now();
// Chunk names carry content hashes: start empty so an old build's chunks never linger.
rmSync(outDir, { recursive: true, force: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: { inspector: 'src/cli/main.ts', worker: 'src/worker/index.ts' },
  outdir: outDir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  packages: 'external',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  chunkNames: 'chunks/[name]-[hash]',
});

const inputs = Object.keys(result.metafile.inputs)
  .filter((p) => !p.includes('node_modules'))
  .sort()
  .map((p) => {
    const st = statSync(join(root, p));
    return { path: p, size: st.size, mtimeMs: st.mtimeMs };
  });
// Written last and atomically: a stamp names a complete build.
const stamp = join(outDir, 'stamp.json');
writeFileSync(`${stamp}.tmp`, JSON.stringify({ builtAt: Date.now(), inputs }) + '\n');
renameSync(`${stamp}.tmp`, stamp);
process.stdout.write(`inspector CLI built into ${relative(root, outDir)}/ from ${inputs.length} sources in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
