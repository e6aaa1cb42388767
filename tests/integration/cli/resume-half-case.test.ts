/**
 * `inspector batch --resume` and a case that is half recorded: the stored case verdict covers every
 * image of the case — the runs recorded before and the resumed ones — never the resumed images alone.
 *
 * 1. A batch SIGKILLed mid-way (no clean stop: the process group killed after the first case was
 *    recorded) resumes to completion: every case verdict over both of its images, every image one run.
 * 2. A case that gets more images after it was recorded (a part still arriving in its folder when
 *    the batch ran): on resume the new image is inspected and recorded once, and the case's stored
 *    verdict is over all its images — the porosity slice recorded before still makes it a defect
 *    (the old code stored PASS over the one new normal slice); a broken new image makes it INCOMPLETE.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/paths';
import { bin, cli, node, samples, scratchDir } from './support';

const NORMAL = join(samples, 'battery-ct-porosity', 'ct_slice2_normal_1.png');
const NORMAL2 = join(samples, 'battery-ct-porosity', 'ct_slice2_normal_2.png');
const POROSITY = join(samples, 'battery-ct-porosity', 'ct_slice2_porosity_1.png');

interface StoredVerdict {
  case_key: string;
  verdict: string;
  images: number;
  failed_images: number;
  run_ids: string;
}

/** The latest stored verdict of each case (what `history list` and the exports show). */
function latestVerdicts(db: string): Map<string, StoredVerdict> {
  const h = new Database(db, { readonly: true });
  const rows = h.prepare('SELECT case_key, verdict, images, failed_images, run_ids FROM case_verdicts ORDER BY id').all() as StoredVerdict[];
  h.close();
  return new Map(rows.map((r) => [r.case_key, r]));
}

function runsPerImage(db: string): Map<string, number> {
  const h = new Database(db, { readonly: true });
  const rows = h.prepare('SELECT i.source_path AS p, count(*) AS n FROM inference_runs r JOIN images i ON i.id = r.image_id GROUP BY i.source_path').all() as { p: string; n: number }[];
  h.close();
  return new Map(rows.map((r) => [r.p, r.n]));
}

describe('batch --resume of a half-done batch stores case verdicts over all the case images', () => {
  it('SIGKILL to the group after the first recorded case, then --resume: each case verdict over both images', async () => {
    const root = scratchDir('resume-kill');
    const input = join(root, 'input');
    const CASES = 6;
    for (let c = 0; c < CASES; c++) {
      const dir = join(input, `cell-${c}`);
      mkdirSync(dir, { recursive: true });
      copyFileSync(c % 2 ? POROSITY : NORMAL, join(dir, 'view-0.png'));
      copyFileSync(NORMAL2, join(dir, 'view-1.png'));
    }
    const db = join(root, 'history.sqlite');
    const child = spawn(node, [bin, 'batch', input, '--pack', 'battery-ct-porosity', '--db', db], { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, INSPECTOR_DATA_DIR: root } });
    let stderr = '';
    let killed = false;
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (!killed && /batch \d+: \d+\/\d+ images/.test(stderr)) {
          killed = true;
          process.kill(-child.pid!, 'SIGKILL'); // no handler runs: what is recorded is what was committed
        }
      });
      child.on('exit', (c, signal) => resolve(signal === 'SIGKILL' ? 137 : c));
    });
    expect(killed, stderr).toBe(true);
    expect(code).toBe(137);
    const id = /batch (\d+) started/.exec(stderr)![1]!;
    const before = latestVerdicts(db);
    expect(before.size).toBeGreaterThanOrEqual(1);
    expect(before.size).toBeLessThan(CASES);

    const resumed = cli(['batch', input, '--pack', 'battery-ct-porosity', '--db', db, '--resume', id, '--json'], { dataDir: root });
    expect(resumed.status, resumed.stderr).toBe(0);
    const summary = JSON.parse(resumed.stdout) as { inspected: number; skipped: number; errors: number };
    expect(summary.inspected + summary.skipped).toBe(CASES * 2);
    const after = latestVerdicts(db);
    // Case keys are the folders' full paths (docs: case identity).
    expect([...after.keys()].sort()).toEqual(Array.from({ length: CASES }, (_, c) => join(input, `cell-${c}`)));
    for (const [key, v] of after) {
      expect(v.images, key).toBe(2);
      expect(JSON.parse(v.run_ids), key).toHaveLength(2);
      expect(v.verdict, key).toBe(Number(key.slice(-1)) % 2 ? 'INTERNAL_DEFECT' : 'PASS');
    }
    expect([...runsPerImage(db).values()].every((n) => n === 1)).toBe(true);
    expect(runsPerImage(db).size).toBe(CASES * 2);
  });

  it('a case recorded with one image that gets two more (one broken): resume judges the whole case', () => {
    const root = scratchDir('resume-half');
    const input = join(root, 'input');
    mkdirSync(join(input, 'part-A'), { recursive: true });
    mkdirSync(join(input, 'part-B'), { recursive: true });
    copyFileSync(POROSITY, join(input, 'part-A', 'view-0.png'));
    copyFileSync(NORMAL, join(input, 'part-B', 'view-0.png'));
    const db = join(root, 'history.sqlite');
    const first = cli(['batch', input, '--pack', 'battery-ct-porosity', '--db', db, '--json'], { dataDir: root });
    expect(first.status, first.stderr).toBe(0);
    const batchId = String((JSON.parse(first.stdout) as { batchId: number }).batchId);
    const firstRun = JSON.parse(latestVerdicts(db).get(join(input, 'part-A'))!.run_ids) as number[];
    expect(latestVerdicts(db).get(join(input, 'part-A'))).toMatchObject({ verdict: 'INTERNAL_DEFECT', images: 1 });

    // The rest of part A arrives: a normal slice. The recorded porosity slice still decides.
    copyFileSync(NORMAL2, join(input, 'part-A', 'view-1.png'));
    const resumed = cli(['batch', input, '--pack', 'battery-ct-porosity', '--db', db, '--resume', batchId, '--json'], { dataDir: root });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ inspected: 1, skipped: 2, errors: 0, warnings: [] });
    const a = latestVerdicts(db).get(join(input, 'part-A'))!;
    expect(a).toMatchObject({ verdict: 'INTERNAL_DEFECT', images: 2, failed_images: 0 });
    const ids = JSON.parse(a.run_ids) as number[];
    expect(ids).toHaveLength(2);
    expect(ids).toContain(firstRun[0]); // the run recorded before the resume, not a new one
    expect(runsPerImage(db).get(join(input, 'part-A', 'view-0.png'))).toBe(1);
    expect(latestVerdicts(db).get(join(input, 'part-B'))).toMatchObject({ verdict: 'PASS', images: 1 });

    // A broken image arrives too: the case is INCOMPLETE over all three, named in history list.
    writeFileSync(join(input, 'part-A', 'view-2.png'), readFileSync(NORMAL).subarray(0, 200));
    const again = cli(['batch', input, '--pack', 'battery-ct-porosity', '--db', db, '--resume', batchId, '--json'], { dataDir: root });
    expect(again.status, again.stderr).toBe(1); // a batch with a failed image exits 1
    expect(JSON.parse(again.stdout)).toMatchObject({ inspected: 0, errors: 1, skipped: 3 });
    expect(latestVerdicts(db).get(join(input, 'part-A'))).toMatchObject({ verdict: 'INCOMPLETE', images: 3, failed_images: 1 });
    expect(JSON.parse(latestVerdicts(db).get(join(input, 'part-A'))!.run_ids)).toHaveLength(2);
    const list = cli(['history', 'list', '--db', db], { dataDir: root });
    expect(list.status, list.stderr).toBe(0);
    const partA = list.stdout.split('\n').filter((l) => l.includes('part-A'));
    expect(partA.length).toBeGreaterThan(0);
    expect(partA.join('\n')).toContain('INCOMPLETE');
    expect(partA.join('\n')).not.toMatch(/\bPASS\b/);
    expect(list.stdout).toMatch(/view-2\.png.*IMAGE_DECODE_FAILED|IMAGE_DECODE_FAILED.*view-2\.png/);
    expect(existsSync(db)).toBe(true);
  });
});
