/**
 * `--pack X`: X is a pack folder, or the name (optionally name@version) of a pack found in the model
 * roots. Without any, the packs named by inspector.yaml's sides are used, or the only pack there is.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { insideRoots } from '../files/walk';
import { join, resolve } from 'node:path';
import { InspectorError } from '../../shared/errors';
import { answersTo, discoverPacks, findPack, MANIFEST_FILE, type PackRoot } from './discover';
import { loadPack, type LoadedPack } from './load';

export interface ResolveOptions {
  /**
   * Set when the reference comes from a renderer: a folder is accepted only when its real path lies
   * inside one of these grants (real paths), and only a reference that looks like a path (has a
   * slash) is taken as a folder — `..` or `.` is a name, and no installed pack is called that.
   */
  grants?: readonly string[];
}

const looksLikePath = (ref: string) => /[\\/]/.test(ref);

export function resolvePackDir(ref: string, roots: readonly PackRoot[], options: ResolveOptions = {}): string {
  if (options.grants) {
    if (looksLikePath(ref) && existsSync(join(ref, MANIFEST_FILE))) {
      const real = realpathSync(ref);
      if (!insideRoots(real, options.grants)) {
        throw new InspectorError('ACCESS_DENIED', `The pack folder ${ref} is not inside a folder you chose; choose it first, or install the pack.`, { ref });
      }
      if (statSync(real).isDirectory()) return real;
    }
  } else if (existsSync(join(ref, MANIFEST_FILE)) && statSync(ref).isDirectory()) return ref;
  const [name, version] = ref.split('@');
  // User packs shadow app packs of the same name; only the pack's own folder is read when it is named after the pack.
  const pick = findPack(roots, name ?? '', version);
  if (!pick) throw new InspectorError('PACK_NOT_FOUND', `No model pack "${ref}" (neither a pack folder nor a pack name in ${roots.map((r) => r.dir).join(', ')}).`, { ref });
  return pick.dir;
}

export function resolvePacks(refs: readonly string[], roots: readonly PackRoot[], fromConfig: readonly string[], options: ResolveOptions = {}): LoadedPack[] {
  const wanted = refs.length ? refs : fromConfig;
  // A pack named twice (by its name and by an alias, or in two places of inspector.yaml) runs once.
  if (wanted.length) return [...new Set(wanted.map((r) => resolvePackDir(r, roots, options)))].map((dir) => loadPack(dir));
  const all = discoverPacks(roots).filter((p) => !p.error);
  if (all.length === 1) return [loadPack(all[0]!.dir)];
  throw new InspectorError('NO_PACK', all.length ? `${all.length} model packs are installed; choose one with --pack (${all.map((p) => p.name).join(', ')}).` : 'No model pack is installed; give --pack DIR.');
}

/**
 * Whether a loaded pack is the one a reference (inspector.yaml `pack:`, `--pack`) names: its
 * folder, its name or one of its aliases, optionally `@version`.
 */
export function packRefersTo(pack: LoadedPack, ref: string | undefined): boolean {
  if (!ref) return false;
  if (pack.dir === resolve(ref)) return true;
  const [name, version] = ref.split('@');
  return answersTo(pack.manifest, name ?? '') && (!version || pack.manifest.version === version);
}
