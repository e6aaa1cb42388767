/**
 * Finds model packs: a folder holding a `pack.yaml` manifest, in the app's `models/` and in the
 * user's own models folder. Discovery only reads the header (name, version, kind); full validation
 * (file hashes, graph inputs/outputs) happens when a pack is loaded.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const MANIFEST_FILE = 'pack.yaml';

export interface DiscoveredPack {
  dir: string;
  name: string;
  version: string;
  kind: string;
  source: 'app' | 'user';
  error?: { code: string; message: string };
}

export interface PackRoot {
  dir: string;
  source: 'app' | 'user';
}

export function discoverPacks(roots: readonly PackRoot[]): DiscoveredPack[] {
  const found: DiscoveredPack[] = [];
  for (const root of roots) {
    if (!existsSync(root.dir) || !statSync(root.dir).isDirectory()) continue;
    for (const entry of readdirSync(root.dir).sort()) {
      const dir = join(root.dir, entry);
      const manifest = join(dir, MANIFEST_FILE);
      // A dangling link or unreadable entry in the models folder hides that entry, not every pack.
      const st = statSync(dir, { throwIfNoEntry: false });
      if (!st?.isDirectory() || !existsSync(manifest)) continue;
      found.push(readHeader(dir, manifest, root.source));
    }
  }
  return found;
}

function readHeader(dir: string, manifest: string, source: PackRoot['source']): DiscoveredPack {
  const fallbackName = dir.split(/[\\/]/).pop() ?? dir;
  try {
    const doc = parse(readFileSync(manifest, 'utf8')) as Record<string, unknown> | null;
    const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    const name = str(doc?.['name']);
    const version = str(doc?.['version']);
    const kind = str(doc?.['kind']);
    if (!name || !version || !kind) {
      return {
        dir,
        name: name ?? fallbackName,
        version: version ?? '?',
        kind: kind ?? '?',
        source,
        error: { code: 'PACK_MANIFEST_INVALID', message: `${MANIFEST_FILE} lacks name, version or kind` },
      };
    }
    return { dir, name, version, kind, source };
  } catch (err) {
    return {
      dir,
      name: fallbackName,
      version: '?',
      kind: '?',
      source,
      error: { code: 'PACK_MANIFEST_UNREADABLE', message: err instanceof Error ? err.message : String(err) },
    };
  }
}
