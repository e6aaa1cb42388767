import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
/** `../shared` beside the repository: real public data, present on developer and CI machines. */
export const sharedDir = resolve(repoRoot, '..', 'shared');
export const sharedData = join(sharedDir, 'data');
export const hasShared = existsSync(sharedData);
export const testOutput = join(repoRoot, 'test-output');
