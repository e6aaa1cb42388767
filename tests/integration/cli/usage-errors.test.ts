/**
 * A mistyped flag is the CLI's own USAGE error (exit 2), never Node's ERR_PARSE_ARGS_* with advice
 * about '--' positionals: it names the command and the flag, suggests the nearest flag the command's
 * help lists, and nothing runs (no history file is created).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, scratchDir } from './support';

describe('CLI usage errors', () => {
  const root = scratchDir('usage');
  const run = (args: string[]) => cli(args, { dataDir: root });

  it('an unknown flag: USAGE, exit 2, the command and the flag named, a close flag suggested', () => {
    const r = run(['station', '--conifg', 'station.yaml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('inspector: USAGE: inspector station: unknown option --conifg. Did you mean --config?');
    expect(r.stderr).toContain('inspector station --help');
    expect(r.stderr).not.toContain('ERR_PARSE_ARGS');
  });

  it('no suggestion when nothing is close (a short flag is not "close" to every other short flag)', () => {
    const db = join(root, 'never.db');
    const r = run(['operator', 'create', '--id', 'qa', '--name', 'QA', '--db', db]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^inspector: USAGE: inspector operator: unknown option --id\. Run "inspector operator --help"/);
    expect(r.stderr).not.toContain('Did you mean');
    expect(existsSync(db)).toBe(false);
  });

  it('a missing value, a value given to a switch, an unexpected argument: each its own USAGE message', () => {
    const missing = run(['history', 'list', '--db']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('inspector history: option --db needs a value.');
    const switchValue = run(['inspect', '--json=yes', 'x.png']);
    expect(switchValue.status).toBe(2);
    expect(switchValue.stderr).toContain('inspector inspect: option --json takes no value.');
    const extra = run(['audit', 'verify', 'extra']);
    expect(extra.status).toBe(2);
    expect(extra.stderr).toContain('inspector audit: unexpected argument "extra"');
    for (const r of [missing, switchValue, extra]) expect(r.stderr).not.toContain('ERR_PARSE_ARGS');
  });
});
