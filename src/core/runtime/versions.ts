/** Versions of the native pieces the app stands on, read from the libraries themselves. */
import { createRequire } from 'node:module';
import Database from 'better-sqlite3';
import sharp from 'sharp';

// Not named `require`: the bundler adds its own `require` shim to ESM output.
const requireHere = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    return (requireHere(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export interface NativeVersions {
  node: string;
  electron: string | null;
  onnxruntime: string;
  sharp: string;
  libvips: string;
  betterSqlite3: string;
  sqlite: string;
}

export function nativeVersions(): NativeVersions {
  const db = new Database(':memory:');
  try {
    const sqlite = (db.prepare('select sqlite_version() as v').get() as { v: string }).v;
    return {
      node: process.versions.node,
      electron: process.versions['electron'] ?? null,
      onnxruntime: packageVersion('onnxruntime-node'),
      sharp: sharp.versions.sharp ?? packageVersion('sharp'),
      libvips: sharp.versions.vips,
      betterSqlite3: packageVersion('better-sqlite3'),
      sqlite,
    };
  } finally {
    db.close();
  }
}
