/**
 * The CLI launcher (bin/inspector.js): runs the install-time build only while every source in it is
 * unchanged, otherwise the sources (never a stale build, silently or not). Checked on a scratch app
 * folder with the real launcher, a real stamp written by the rules of scripts/build-cli.js, and
 * entry points that say which one ran. And the command registry: lazy entries agree with the
 * commands they load.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commands, loadCommand } from '../../../src/cli/registry';
import { repoRoot } from '../../support/paths';

function fakeApp() {
  const root = mkdtempSync(join(os.tmpdir(), 'inspector-launcher-'));
  mkdirSync(join(root, 'bin'));
  copyFileSync(join(repoRoot, 'bin', 'inspector.js'), join(root, 'bin', 'inspector.js'));
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
  mkdirSync(join(root, 'src', 'cli'), { recursive: true });
  mkdirSync(join(root, 'out', 'cli'), { recursive: true });
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(root, 'src', 'cli', 'main.ts'), "const from: string = 'source';\nprocess.stdout.write(`${from} ${process.env.INSPECTOR_CLI_BUILD ?? '-'}\\n`);\n");
  writeFileSync(join(root, 'src', 'cli', 'dep.ts'), 'export const x = 1;\n');
  writeFileSync(join(root, 'out', 'cli', 'inspector.js'), "process.stdout.write(`build ${process.env.INSPECTOR_CLI_BUILD}\\n`);\n");
  const stamp = () => {
    const inputs = ['src/cli/main.ts', 'src/cli/dep.ts'].map((p) => {
      const st = statSync(join(root, p));
      return { path: p, size: st.size, mtimeMs: st.mtimeMs };
    });
    writeFileSync(join(root, 'out', 'cli', 'stamp.json'), JSON.stringify({ builtAt: Date.now(), inputs }));
  };
  const run = (env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [join(root, 'bin', 'inspector.js')], { encoding: 'utf8', env: { ...process.env, INSPECTOR_CLI_BUILD: '', ...env } }).stdout.trim();
  return { root, stamp, run };
}

describe('bin/inspector.js: the build only while it is current', () => {
  it('uses a current build, and the sources once any source in it changed or the stamp is gone', () => {
    const app = fakeApp();
    try {
      expect(app.run()).toBe('source -'); // no build stamp yet
      app.stamp();
      expect(app.run()).toBe(`build ${join(app.root, 'out', 'cli')}`);
      expect(app.run({ INSPECTOR_CLI_FROM_SOURCE: '1' })).toBe('source -');
      // An edit to a dependency, even one that keeps the size: its mtime moves.
      const later = new Date(Date.now() + 5000);
      utimesSync(join(app.root, 'src', 'cli', 'dep.ts'), later, later);
      expect(app.run()).toBe('source -');
      app.stamp();
      expect(app.run()).toMatch(/^build /);
      writeFileSync(join(app.root, 'src', 'cli', 'dep.ts'), 'export const x = 22;\n');
      expect(app.run()).toBe('source -');
      app.stamp();
      rmSync(join(app.root, 'src', 'cli', 'dep.ts'));
      expect(app.run()).toBe('source -');
    } finally {
      rmSync(app.root, { recursive: true, force: true });
    }
  });
});

describe('command registry', () => {
  it('every lazy entry loads the command of its name, with the same summary', async () => {
    const names = commands.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const e of commands) {
      const c = await loadCommand(e);
      expect(c.name).toBe(e.name);
      expect(c.summary).toBe(e.summary);
      expect(c.help.length).toBeGreaterThan(0);
    }
  });
});
