/**
 * File access only where the user chose: the renderer may name a path, but the host opens it only
 * if it lies inside a folder or file the user picked (Electron's open dialog, a CLI argument, the
 * bundled samples). Paths are resolved through realpath first, so `..` and symlinks cannot escape.
 */
import { realpathSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { InspectorError } from '../shared/errors';

export class AccessGrants {
  private readonly roots = new Set<string>();

  grant(path: string): void {
    this.roots.add(realpathSync(resolve(path)));
  }

  list(): string[] {
    return [...this.roots];
  }

  /** Returns the real path when allowed; throws ACCESS_DENIED otherwise (or FILE_NOT_FOUND). */
  check(path: string): string {
    let real: string;
    try {
      real = realpathSync(resolve(path));
    } catch {
      throw new InspectorError('FILE_NOT_FOUND', `No such file or folder: ${path}`, { path });
    }
    for (const root of this.roots) {
      if (real === root || real.startsWith(root.endsWith(sep) ? root : root + sep)) return real;
    }
    throw new InspectorError('ACCESS_DENIED', `Inspector may only open files inside folders you chose; ${path} is not one of them.`, { path });
  }
}
