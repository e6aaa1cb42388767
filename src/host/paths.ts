/**
 * Where the app's own files (models/, resources/) and the user's data live. Electron passes its
 * own answers (process.resourcesPath, app.getPath('userData')); the CLI and tests use these.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AppPaths {
  /** Repository root in development, the unpacked resources folder when packaged. */
  appRoot: string;
  resourcesDir: string;
  appModelsDir: string;
  userDataDir: string;
  userModelsDir: string;
  defaultDatabase: string;
}

/** Walks up from this file to the folder holding package.json (works from src/ and out/). */
export function findAppRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'resources'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`Inspector's app folder (package.json + resources/) not found above ${from}`);
    dir = up;
  }
}

export function defaultUserDataDir(): string {
  const override = process.env['INSPECTOR_DATA_DIR'];
  if (override) return resolve(override);
  const home = os.homedir();
  if (process.platform === 'win32') return join(process.env['APPDATA'] ?? join(home, 'AppData', 'Roaming'), 'Inspector');
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', 'Inspector');
  return join(process.env['XDG_DATA_HOME'] ?? join(home, '.local', 'share'), 'inspector');
}

export function appPaths(appRoot = findAppRoot(), userDataDir = defaultUserDataDir()): AppPaths {
  return {
    appRoot,
    resourcesDir: join(appRoot, 'resources'),
    appModelsDir: join(appRoot, 'models'),
    userDataDir,
    userModelsDir: join(userDataDir, 'models'),
    defaultDatabase: join(userDataDir, 'inspector.sqlite'),
  };
}
