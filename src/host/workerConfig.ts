/** What a worker is told at start, from the app's paths: shared by the full host and the CLI's. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkerConfig } from '../worker/protocol';
import type { AppPaths } from './paths';

export function readAppVersion(appRoot: string): string {
  return (JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

export function workerConfig(paths: AppPaths, version = readAppVersion(paths.appRoot)): WorkerConfig {
  return {
    appRoot: paths.appRoot,
    resourcesDir: paths.resourcesDir,
    modelDirs: [
      { dir: paths.appModelsDir, source: 'app' },
      { dir: paths.userModelsDir, source: 'user' },
    ],
    inspectorVersion: version,
  };
}
