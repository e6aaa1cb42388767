/**
 * The YAML depth guard (src/core/files/yaml.ts). Without it the `yaml` library composes nested
 * collections recursively: 1,000 nested `[` overflow its stack ("Maximum call stack size
 * exceeded", which the config reader could only pass on as a CONFIG_UNREADABLE that says nothing
 * of the cause), and with Node 20 the next deeper document aborts the whole process inside V8
 * ("RegExpCompiler Allocation failed", exit 134; with the pinned Node 24 the overflow repeats
 * without the abort). So the sequence runs in a child process, under each Node present: the test
 * fails on an abort as well as on an error that is not the guard's. Mutation-checked: with the
 * guard's `throw` disabled, this test fails (Node 24: the stack-overflow message; Node 20: exit 134).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { YAML_MAX_DEPTH } from '../../../src/core/files/yaml';

const root = join(__dirname, '..', '..', '..');
// The Node running the tests (the pinned one) and Debian's, where the V8 abort reproduces.
const nodes = [...new Set([process.execPath, '/usr/bin/node'].filter((p) => existsSync(p)).map((p) => realpathSync(p)))];

describe('YAML nesting depth guard', () => {
  it.each(nodes)('refuses every document nested deeper than the bound with its coded error, and the process survives (%s)', (node) => {
    const r = spawnSync(node, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(__dirname, 'yaml-depth-child.ts')], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect({ status: r.status, signal: r.signal, stderr: r.stderr.slice(0, 400) }).toEqual({ status: 0, signal: null, stderr: '' });
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { depth: number; result: string; name?: string; code?: string; message?: string });
    expect(lines.map((l) => l.depth)).toEqual([10, 1000, 3000, 10000]);
    // A shallow document gets past the YAML parse to the schema check (a list is not a valid `verdict`).
    expect(lines[0]).toMatchObject({ result: 'error', name: 'InspectorError', code: 'CONFIG_INVALID' });
    for (const l of lines.slice(1)) {
      expect(l).toMatchObject({ result: 'error', name: 'InspectorError', code: 'CONFIG_UNREADABLE' });
      expect(l.message).toContain(`collections nest ${l.depth} levels deep; more than ${YAML_MAX_DEPTH} is refused`);
      expect(l.message).not.toMatch(/call stack/i);
    }
  });
});
