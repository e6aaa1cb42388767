#!/usr/bin/env node
// Launcher for the `inspector` CLI. The native modules (better-sqlite3 13 needs Node-API 10) and the
// app's embedded Electron runtime both mean Node 24: if started by another Node, re-run under the
// project's pinned Node (the `node` package from npm) rather than crash inside a native module.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
  const r = spawnSync(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const built = join(root, 'out', 'cli', 'inspector.js');
if (process.env.INSPECTOR_CLI_FROM_BUILD === '1' && existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  // From source: tsx compiles TypeScript on load, so the CLI needs no build step after `npm ci`.
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href);
}
