/**
 * The install-time CLI build (scripts/build-cli.js, run by `npm ci` through `prepare`) works on its
 * own: its entry and its worker bundle run an inspection with the shipped pack and give the same
 * numbers as the sources, and the built CLI starts the built worker (no tsx).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/paths';
import { cli, ctPng, node, scratchDir } from './support';

const outDir = join(repoRoot, 'out', `cli-test-${process.pid}`);

describe('CLI build', () => {
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('bundles the CLI and the worker; the build inspects exactly like the sources', () => {
    const b = spawnSync(node, [join(repoRoot, 'scripts', 'build-cli.js'), '--out', outDir], { encoding: 'utf8', cwd: repoRoot });
    expect(b.status, b.stderr).toBe(0);
    for (const f of ['inspector.js', 'worker.js', 'stamp.json']) expect(existsSync(join(outDir, f)), f).toBe(true);
    const stamp = JSON.parse(readFileSync(join(outDir, 'stamp.json'), 'utf8'));
    const inputs = stamp.inputs.map((i: { path: string }) => i.path);
    expect(inputs).toContain('src/cli/main.ts');
    expect(inputs).toContain('src/worker/index.ts');
    expect(inputs).toContain('src/core/verdict/verdict.ts');
    expect(inputs.some((p: string) => p.includes('node_modules'))).toBe(false);

    const dataDir = scratchDir('cli-build');
    const args = ['inspect', ctPng, '--pack', 'battery-ct-porosity', '--no-record', '--json'];
    const built = spawnSync(node, [join(outDir, 'inspector.js'), ...args], {
      encoding: 'utf8',
      cwd: repoRoot,
      env: { ...process.env, INSPECTOR_DATA_DIR: dataDir, INSPECTOR_CLI_BUILD: outDir, INSPECTOR_DEBUG: '1' },
    });
    expect(built.status, built.stderr).toBe(0);
    expect(built.stderr).toContain(`inspector: worker ${join(outDir, 'worker.js')}`);
    const fromSource = cli(args, { dataDir, env: { INSPECTOR_CLI_FROM_SOURCE: '1' } });
    expect(fromSource.status, fromSource.stderr).toBe(0);
    const a = JSON.parse(built.stdout);
    const s = JSON.parse(fromSource.stdout);
    expect(a.results[0].classification.probabilities).toEqual(s.results[0].classification.probabilities);
    expect(a.cases.map((c: { id: string; verdict: { verdict: string } }) => [c.id, c.verdict.verdict])).toEqual(s.cases.map((c: { id: string; verdict: { verdict: string } }) => [c.id, c.verdict.verdict]));

    const version = spawnSync(node, [join(outDir, 'inspector.js'), '--version'], { encoding: 'utf8' });
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
  });
});
