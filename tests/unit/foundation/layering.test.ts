import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/paths';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|tsx)$/.test(p) ? [p] : [];
  });
}
const importsOf = (src: string) => [...src.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2] ?? m[3]);

// The same boundaries eslint.config.js enforces, checked on the source text so that a disabled
// lint rule cannot hide a violation.
describe('layering', () => {
  it('no file of the core, host, worker, CLI or shared contract imports electron', () => {
    const offenders = ['core', 'host', 'worker', 'cli', 'shared']
      .flatMap((d) => files(join(repoRoot, 'src', d)))
      .filter((f) => importsOf(readFileSync(f, 'utf8')).some((i) => i === 'electron' || i?.startsWith('electron/')))
      .map((f) => relative(repoRoot, f));
    expect(offenders).toEqual([]);
  });

  it('the renderer imports no Node built-ins, no electron and nothing from the main side', () => {
    const offenders = files(join(repoRoot, 'src', 'renderer'))
      .flatMap((f) => importsOf(readFileSync(f, 'utf8')).map((i) => [relative(repoRoot, f), i] as const))
      .filter(([, i]) => i === 'electron' || i?.startsWith('node:') || /\/(core|host|worker|main|cli)\//.test(i ?? ''));
    expect(offenders).toEqual([]);
  });
});
