/**
 * A tiled variant of the shipped battery-CT porosity pack: the same files (model.onnx, guard.json,
 * cards, byte for byte, so their SHA-256 in pack.yaml is checked on load as for any pack) in a
 * temporary folder, with a `tiling` section added to pack.yaml.
 */
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { repoRoot } from './paths';

export const batteryPackDir = join(repoRoot, 'models', 'battery-ct-porosity');
export const tilingFixture = join(repoRoot, 'tests', 'fixtures', 'tiling');

/** `base`: another shipped pack folder to tile (default the battery-CT pack). */
export function makeTiledPack(tiling: Record<string, unknown>, opts: { dir?: string; name?: string; drop?: string[]; base?: string; patch?: (doc: Record<string, unknown>) => void } = {}): string {
  const base = opts.base ?? batteryPackDir;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'tiled-pack-'));
  for (const f of readdirSync(base)) if (f !== 'pack.yaml') copyFileSync(join(base, f), join(dir, f));
  const doc = parse(readFileSync(join(base, 'pack.yaml'), 'utf8')) as Record<string, unknown>;
  for (const k of opts.drop ?? []) delete doc[k];
  opts.patch?.(doc);
  writeFileSync(join(dir, 'pack.yaml'), stringify({ ...doc, ...(opts.name ? { name: opts.name } : {}), tiling }));
  return dir;
}
