/**
 * `inspector batch` as a line PC runs it: killed half-way (SIGKILL, no clean-up), then resumed.
 * Every case finished before the kill stays recorded, the resume inspects only the rest, no image is
 * recorded twice, and the audit chain verifies.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/paths';
import { classifierPack, imageDir } from '../../unit/engine/support';

const bin = join(repoRoot, 'bin', 'inspector.js');
const node = process.execPath;

describe('batch: killed mid-way, resumed', () => {
  it('keeps finished cases, resumes the rest, records each image once', async () => {
    const pack = await classifierPack('resnet-mini');
    const root = mkdtempSync(join(os.tmpdir(), 'inspector-batch-'));
    const images = readdirSync(imageDir).filter((f) => f.endsWith('.png'));
    const CASES = 8;
    for (let c = 0; c < CASES; c++) {
      const dir = join(root, 'input', `part-${String(c).padStart(3, '0')}`);
      mkdirSync(dir, { recursive: true });
      for (const f of images.slice(0, 3)) copyFileSync(join(imageDir, f), join(dir, f));
    }
    const db = join(root, 'history.sqlite');
    const args = [bin, 'batch', join(root, 'input'), '--pack', pack.dir, '--db', db, '--name', 'night shift'];

    // First run: SIGKILL as soon as the first case is reported done.
    const child = spawn(node, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let killedAfter = '';
    await new Promise<void>((resolveKill, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        const text = d.toString();
        if (!killedAfter && /batch 1: \d+\/24 images/.test(text)) {
          killedAfter = text;
          child.kill('SIGKILL');
        }
      });
      child.on('exit', () => (killedAfter ? resolveKill() : reject(new Error('batch ended before reporting progress'))));
    });
    const count = (sql: string) => (new Database(db, { readonly: true }).prepare(sql).get() as { n: number }).n;
    const afterKill = count('SELECT count(*) AS n FROM inference_runs WHERE batch_id = 1');
    expect(afterKill).toBeGreaterThanOrEqual(3);
    expect(afterKill % 3).toBe(0); // whole cases only: a case is one transaction
    expect(afterKill).toBeLessThan(24);

    const resumed = spawnSync(node, [...args, '--resume', '1', '--json'], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
    expect(resumed.status).toBe(0);
    const summary = JSON.parse(resumed.stdout);
    expect(summary).toMatchObject({ batchId: 1, total: 24, skipped: afterKill, inspected: 24 - afterKill, errors: 0, stopped: false });

    expect(count('SELECT count(*) AS n FROM inference_runs WHERE batch_id = 1')).toBe(24);
    expect(count('SELECT count(DISTINCT image_id) AS n FROM inference_runs')).toBe(24);
    expect(count('SELECT count(*) AS n FROM batches')).toBe(1);
    const verify = spawnSync(node, [bin, 'audit', 'verify', '--db', db], { cwd: repoRoot, encoding: 'utf8' });
    expect(verify.status).toBe(0);
    expect(verify.stdout).toMatch(/^OK/);
  });
});
