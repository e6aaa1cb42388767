#!/usr/bin/env node
// Launcher for the `inspector` CLI. The native modules (better-sqlite3 13 needs Node-API 10) and the
// app's embedded Electron runtime both mean Node 24: if started by another Node, re-run under the
// project's pinned Node (the `node` package from npm) rather than crash inside a native module.
//
// It runs the build in out/cli/ (made by `npm ci`/`npm install` through the `prepare` script, or
// `npm run build:cli`) when that build is complete and every source file in it is unchanged;
// otherwise it runs the TypeScript sources through tsx (slower, never stale). So a developer who
// edits src/ gets their edit, not yesterday's build, and a line PC gets node's start-up time.
// INSPECTOR_CLI_FROM_SOURCE=1 forces the sources; INSPECTOR_DEBUG=1 says which one runs and why.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const major = Number(process.versions.node.split('.')[0]);

if (major !== 24) {
  const pinned = join(root, 'node_modules', 'node', 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  if (!existsSync(pinned)) {
    process.stderr.write(`inspector needs Node 24 (found ${process.versions.node}); run "npm ci" to install the pinned Node.\n`);
    process.exit(1);
  }
  // Ctrl-C reaches the child too (same process group); it decides how to stop, we wait for it.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  const r = spawnSync(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? (r.signal === 'SIGINT' || r.signal === 'SIGTERM' ? 130 : 1));
}

const buildDir = join(root, 'out', 'cli');

/** Why the build cannot be used (undefined: it can): missing, incomplete, or older than a source. */
function staleReason() {
  if (process.env.INSPECTOR_CLI_FROM_SOURCE === '1') return 'INSPECTOR_CLI_FROM_SOURCE=1';
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(buildDir, 'stamp.json'), 'utf8'));
  } catch {
    return 'no build in out/cli (npm run build:cli makes one)';
  }
  for (const f of stamp.inputs) {
    const st = statSync(join(root, f.path), { throwIfNoEntry: false });
    if (!st || st.size !== f.size || st.mtimeMs !== f.mtimeMs) return `${f.path} changed since the build (npm run build:cli refreshes it)`;
  }
  return undefined;
}

const stale = staleReason();
if (process.env.INSPECTOR_DEBUG === '1') process.stderr.write(`inspector: running ${stale ? `from source: ${stale}` : 'the build in out/cli'}\n`);
if (!stale) {
  // Tells the host to start the built worker (out/cli/worker.js) rather than the sources under tsx.
  process.env.INSPECTOR_CLI_BUILD = buildDir;
  await import(pathToFileURL(join(buildDir, 'inspector.js')).href);
} else {
  // From source: tsx compiles TypeScript on load, so the CLI works with no build at all.
  delete process.env.INSPECTOR_CLI_BUILD;
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
}
