import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/paths';

const bin = join(repoRoot, 'bin', 'inspector.js');
// Started by the system's Node on purpose: the launcher must re-run itself under the pinned Node 24.
const run = (...args: string[]) => spawnSync('/usr/bin/node', [bin, ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 60_000 });

describe('inspector CLI', () => {
  it('doctor --json reports real versions and the providers that initialise here', () => {
    const r = run('doctor', '--json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.versions.node).toMatch(/^24\./);
    expect(report.versions.sharp).toMatch(/^0\.35\./);
    expect(report.executionProviders.map((p: { name: string }) => p.name)).toEqual(['cuda', 'tensorrt', 'dml', 'coreml', 'webgpu', 'cpu']);
    expect(report.executionProviders.find((p: { name: string }) => p.name === 'cpu').available).toBe(true);
  });

  it('prints help, and refuses an unknown command with exit status 2', () => {
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/doctor/);
    const bad = run('frobnicate');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown command "frobnicate"/);
  });
});
