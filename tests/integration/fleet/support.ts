/** Stations for fleet tests: real packs from models/, real sample images, the real CLI. */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { repoRoot } from '../../support/paths';

export const bin = join(repoRoot, 'bin', 'inspector.js');
export const node = process.execPath;
export const ctPack = join(repoRoot, 'models', 'battery-ct-porosity');
export const ctSamples = join(repoRoot, 'resources', 'samples', 'battery-ct-porosity');
export const SYNCED_TABLES = ['operators', 'cases', 'batches', 'images', 'inference_runs', 'reviews', 'errors', 'audit_log'];

export function cli(args: string[], dataDir: string) {
  return spawnSync(node, [bin, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 180_000, env: { ...process.env, INSPECTOR_DATA_DIR: dataDir } });
}

/** `cases` folders of one or more real CT slices each, named part-000… */
export function caseFolder(root: string, cases: number, perCase = 1, offset = 0): string {
  const pngs = readdirSync(ctSamples).filter((f) => f.endsWith('.png')).sort();
  for (let c = 0; c < cases; c++) {
    const dir = join(root, `part-${String(c).padStart(3, '0')}`);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < perCase; i++) {
      const f = pngs[(c + i + offset) % pngs.length]!;
      copyFileSync(join(ctSamples, f), join(dir, `${i}-${f}`));
    }
  }
  return root;
}

export function localCounts(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    return Object.fromEntries(SYNCED_TABLES.map((t) => [t, db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number]));
  } finally {
    db.close();
  }
}
