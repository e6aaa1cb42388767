/**
 * Finds model packs: a folder holding a `pack.yaml` manifest, in the app's `models/` and in the
 * user's own models folder. Discovery only reads the header (name, version, kind); full validation
 * (file hashes, graph inputs/outputs) happens when a pack is loaded.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MANIFEST_MAX_BYTES, parseYamlBounded, readTextFileSync } from '../files/yaml';

export const MANIFEST_FILE = 'pack.yaml';

export interface DiscoveredPack {
  dir: string;
  name: string;
  version: string;
  kind: string;
  /** Earlier names the pack answers to (manifest `aliases`). */
  aliases?: string[];
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

/**
 * Whether a discovered pack is the one a reference names: its name, or one of its aliases (a pack
 * renamed keeps its old name as an alias).
 */
export function answersTo(p: Pick<DiscoveredPack, 'name' | 'aliases'>, name: string): boolean {
  return p.name === name || (p.aliases ?? []).includes(name);
}

/**
 * The pack `name` (and `version`) without reading every manifest: the folder named after the pack
 * in each root, user roots first (user packs shadow app packs), is read alone; only when no folder
 * of that name holds the pack is every manifest discovered. A CLI call that names its pack parses
 * one pack.yaml, not all of them (start-up time, issue 11).
 *
 * A pack's own name wins over another pack's alias (a user pack still called by a renamed pack's
 * old name shadows the alias); only when no pack has the name is an alias followed.
 */
export function findPack(roots: readonly PackRoot[], name: string, version?: string): DiscoveredPack | undefined {
  const usable = (p: DiscoveredPack) => !p.error && (!version || p.version === version);
  const ordered = [...roots.filter((r) => r.source === 'user'), ...roots.filter((r) => r.source !== 'user')];
  if (name && !/[\\/]/.test(name) && name !== '.' && name !== '..') {
    for (const root of ordered) {
      const dir = join(root.dir, name);
      const manifest = join(dir, MANIFEST_FILE);
      if (!existsSync(manifest) || !statSync(dir).isDirectory()) continue;
      const p = readHeader(dir, manifest, root.source);
      if (p.name === name && usable(p)) return p;
    }
  }
  const found = discoverPacks(roots).filter(usable);
  const pick = (ps: DiscoveredPack[]) => ps.find((p) => p.source === 'user') ?? ps[0];
  return pick(found.filter((p) => p.name === name)) ?? pick(found.filter((p) => answersTo(p, name)));
}

const TOP_SCALAR = /^(name|version|kind):[ \t]+(.*)$/;

/**
 * name, version and kind from the manifest's top-level lines when they are plain or simply quoted
 * scalars (how `pack create` writes them); anything else (anchors, block scalars, flow style) goes
 * to the YAML parser. Full validation happens when the pack is loaded.
 */
function quickHeader(text: string): { name: string; version: string; kind: string } | undefined {
  const got: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    // Aliases are a list: the YAML parser reads them.
    if (/^aliases:/.test(line)) return undefined;
    const m = TOP_SCALAR.exec(line);
    if (!m) continue;
    if (got[m[1]!] !== undefined) return undefined;
    let v = m[2]!.replace(/[ \t]+#.*$/, '').trim();
    const q = /^'([^']*)'$/.exec(v) ?? /^"([^"\\]*)"$/.exec(v);
    if (q) v = q[1]!;
    // Flow/anchor/block syntax, or a plain scalar YAML reads as a number, boolean or null: the parser decides.
    else if (!v || /^[&*!|>{}[\]'"%@`,#?:-]/.test(v) || /^(true|false|yes|no|on|off|null|~|[-+]?(\d[\d_]*(\.\d*)?|\.\d+)([eE][-+]?\d+)?|0x[\da-f]+|0o[0-7]+|[-+]?\.(inf|nan))$/i.test(v)) return undefined;
    got[m[1]!] = v;
  }
  return got['name'] && got['version'] && got['kind'] ? { name: got['name'], version: got['version'], kind: got['kind'] } : undefined;
}

function readHeader(dir: string, manifest: string, source: PackRoot['source']): DiscoveredPack {
  const fallbackName = dir.split(/[\\/]/).pop() ?? dir;
  try {
    const text = readTextFileSync(manifest, MANIFEST_MAX_BYTES);
    const quick = quickHeader(text);
    if (quick) return { dir, ...quick, source };
    const doc = parseYamlBounded(text) as Record<string, unknown> | null;
    const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    const name = str(doc?.['name']);
    const version = str(doc?.['version']);
    const kind = str(doc?.['kind']);
    const aliasList = doc?.['aliases'];
    const aliases = Array.isArray(aliasList) ? aliasList.filter((a): a is string => typeof a === 'string') : undefined;
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
    return { dir, name, version, kind, ...(aliases?.length ? { aliases } : {}), source };
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
