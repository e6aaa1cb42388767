#!/usr/bin/env node
// Builds the `inspector` CLI and its worker into out/cli/ (plain ESM, dependencies left as imports
// from node_modules), so a CLI call starts in node's time, not TypeScript-compile time. Run by
// `npm ci` / `npm install` (the `prepare` script) and by `npm run build:cli`.
//
// out/cli/stamp.json lists every source file that went into the bundles with its size and mtime;
// bin/inspector.js compares them before using the build, so edited sources are never run stale
// (it runs from source instead). See docs/CLI.md.
import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// `--out DIR` (tests): build elsewhere. The default is the folder bin/inspector.js runs.
const outArg = process.argv.indexOf('--out');
const outDir = outArg > 0 ? resolve(process.argv[outArg + 1]) : join(root, 'out', 'cli');
const started = performance.now();
// Built beside the target, then swapped in: a CLI starting meanwhile sees the old build or none
// (and then runs the sources), never half of one, and no old chunk lingers.
const tmpDir = `${outDir}.tmp-${process.pid}`;
rmSync(tmpDir, { recursive: true, force: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: { inspector: 'src/cli/main.ts', worker: 'src/worker/index.ts' },
  outdir: tmpDir,
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
// Written last: a stamp names a complete build.
writeFileSync(join(tmpDir, 'stamp.json'), JSON.stringify({ builtAt: Date.now(), inputs }) + '\n');
const oldDir = `${outDir}.old-${process.pid}`;
if (existsSync(outDir)) renameSync(outDir, oldDir);
renameSync(tmpDir, outDir);
rmSync(oldDir, { recursive: true, force: true });
process.stdout.write(`inspector CLI built into ${relative(root, outDir)}/ from ${inputs.length} sources in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
