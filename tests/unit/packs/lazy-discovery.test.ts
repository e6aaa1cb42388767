/**
 * Lazy pack discovery: `--pack NAME` reads that pack's own manifest only. Beside the shipped chest
 * pack sits a pack folder whose pack.yaml is a named pipe with no writer — reading it blocks forever,
 * so a resolution that opens every manifest never returns (run in a child process with a time limit).
 * `pack list` / doctor discovery stays complete, and its quick header agrees with the YAML parser.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverPacks } from '../../../src/core/packs/discover';
import { repoRoot } from '../../support/paths';

const models = join(repoRoot, 'models');
const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-lazy-packs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('lazy pack discovery', () => {
  it.skipIf(process.platform === 'win32')('resolving a named pack does not open the other packs’ manifests', () => {
    const root = join(tmp, 'user-models');
    mkdirSync(join(root, 'aaa-blocking'), { recursive: true });
    execFileSync('mkfifo', [join(root, 'aaa-blocking', 'pack.yaml')]);
    symlinkSync(join(models, 'chest-xray-pneumonia'), join(root, 'chest-xray-pneumonia'));
    const script = `
      import { resolvePacks } from ${JSON.stringify(join(repoRoot, 'src/core/packs/resolve.ts'))};
      const [p] = resolvePacks(['chest-xray-pneumonia'], [{ dir: ${JSON.stringify(root)}, source: 'user' }], []);
      process.stdout.write(p.manifest.name + '@' + p.manifest.version);
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
    expect(r.signal, `resolution blocked reading another pack's manifest: ${r.stderr}`).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('chest-xray-pneumonia@1.0.0');
  }, 60_000);

  it('discovery (pack list, doctor) lists every shipped pack with the header the YAML parser reads', () => {
    const found = discoverPacks([{ dir: models, source: 'app' }]);
    const shipped = readdirSync(models).filter((d) => existsSync(join(models, d, 'pack.yaml'))).sort();
    expect(found.length).toBe(shipped.length);
    expect(found.map((p) => p.name)).toEqual(expect.arrayContaining(['battery-ct-porosity', 'chest-xray-pneumonia', 'surface-pitting-ae']));
    for (const p of found) {
      const doc = parse(readFileSync(join(p.dir, 'pack.yaml'), 'utf8')) as Record<string, string>;
      expect(p).toMatchObject({ name: doc['name'], version: doc['version'], kind: doc['kind'] });
      expect(p.error).toBeUndefined();
    }
  });

  it('a header YAML reads as a number is still reported invalid, as before', () => {
    const dir = join(tmp, 'numeric', 'p');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'pack.yaml'), 'format: 1\nname: p\nversion: 1.0\nkind: classifier\n');
    const [p] = discoverPacks([{ dir: join(tmp, 'numeric'), source: 'user' }]);
    expect(p!.error?.code).toBe('PACK_MANIFEST_INVALID');
    writeFileSync(join(dir, 'pack.yaml'), "format: 1\nname: 'p'\nversion: \"1.0\"  # quoted\nkind: anomaly\n");
    expect(discoverPacks([{ dir: join(tmp, 'numeric'), source: 'user' }])[0]).toMatchObject({ name: 'p', version: '1.0', kind: 'anomaly' });
  });
});
