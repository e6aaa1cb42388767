import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/paths';

const bin = join(repoRoot, 'bin', 'inspector.js');
const probe = (...args: string[]) => spawnSync(process.execPath, [bin, 'probe', ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 60_000 });

describe('inspector probe on folders', () => {
  it('walks images and skips the documents beside them; a document named explicitly is still refused', () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'inspector-probe-'));
    copyFileSync(join(repoRoot, 'tests', 'fixtures', 'packs', 'images', 'normal_0.png'), join(dir, 'part.png'));
    writeFileSync(join(dir, 'README.md'), '# notes\n');
    writeFileSync(join(dir, 'labels.json'), '{}');
    const walked = probe(dir);
    expect(walked.status).toBe(0);
    expect(walked.stdout).toMatch(/1 file\(s\), 1 decoded, 0 failed; 2 non-image file\(s\) in folders skipped/);
    const named = probe(join(dir, 'README.md'));
    expect(named.status).toBe(1);
    expect(named.stdout).toMatch(/IMAGE_NOT_RECOGNISED/);
  });
});
