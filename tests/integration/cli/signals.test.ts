/**
 * Ctrl-C as a shell sends it: SIGINT (or a service manager's SIGTERM) to the whole process group of a
 * running `inspector batch`. The batch stops after the case in flight with exit 130, its id printed at
 * the start and the end; every finished case is recorded whole; the worker did not crash (it is in
 * its own group and is ended by its parent), and the batch resumes to completion.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/paths';
import { bin, cli, ctPng, node, scratchDir } from './support';

const CASES = 10;
const PER_CASE = 2;

function makeInput(root: string): string {
  const input = join(root, 'input');
  for (let c = 0; c < CASES; c++) {
    const dir = join(input, `cell-${String(c).padStart(3, '0')}`);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < PER_CASE; i++) copyFileSync(ctPng, join(dir, `view-${i}.png`));
  }
  return input;
}

/** The CLI's child processes (Linux): the worker, found before it can be asked to go. */
function childrenOf(pid: number): number[] {
  const f = `/proc/${pid}/task/${pid}/children`;
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number) : [];
}

async function interrupted(signal: 'SIGINT' | 'SIGTERM') {
  const root = scratchDir(`signal-${signal}`);
  const input = makeInput(root);
  const db = join(root, 'history.sqlite');
  const args = [bin, 'batch', input, '--pack', 'battery-ct-porosity', '--db', db];
  const child = spawn(node, args, { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, INSPECTOR_DATA_DIR: root } });
  let stdout = '';
  let stderr = '';
  let sent = false;
  let workers: number[] = [];
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // After the first finished case: the next one is in flight when the signal lands.
      if (!sent && /batch \d+: \d+\/\d+ images/.test(stderr)) {
        sent = true;
        workers = childrenOf(child.pid!);
        process.kill(-child.pid!, signal); // the whole group, as a terminal does
      }
    });
    child.on('exit', (c) => resolve(c));
  });
  return { root, input, db, code, stdout, stderr, sent, workers };
}

describe('signals to the process group stop a batch cleanly', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: exit 130 after the case in flight, finished cases recorded, worker ended by its parent, resumable`, async () => {
      const r = await interrupted(signal);
      expect(r.sent, r.stderr).toBe(true);
      expect(r.code, r.stderr).toBe(130);
      const id = /batch (\d+) started: (\d+) images/.exec(r.stderr);
      expect(id, r.stderr).not.toBeNull();
      expect(Number(id![2])).toBe(CASES * PER_CASE);
      expect(r.stdout).toContain(`Batch ${id![1]} STOPPED`);
      expect(r.stdout).toContain(`--resume ${id![1]}`);
      expect(r.stderr + r.stdout).not.toContain('WORKER_CRASHED');

      const h = new Database(r.db, { readonly: true });
      const runs = (h.prepare('SELECT count(*) AS n FROM inference_runs').get() as { n: number }).n;
      const errors = h.prepare('SELECT code FROM errors').pluck().all();
      const perCase = h.prepare('SELECT count(*) AS n FROM inference_runs GROUP BY case_id').pluck().all() as number[];
      h.close();
      expect(errors).toEqual([]);
      expect(runs).toBeGreaterThanOrEqual(PER_CASE); // the case done before the signal, and the one in flight
      expect(runs).toBeLessThan(CASES * PER_CASE); // it did stop
      expect(perCase.every((n) => n === PER_CASE)).toBe(true); // whole cases only
      // Every progress line printed is a case in the history.
      const reported = new Set([...r.stderr.matchAll(/batch \d+: \d+\/\d+ images\s+case (\S+) /g)].map((m) => m[1]));
      expect(perCase.length).toBeGreaterThanOrEqual(reported.size);

      // The worker is gone with its parent, not left running.
      for (const pid of r.workers) {
        let alive = true;
        for (let i = 0; i < 50 && alive; i++) {
          alive = existsSync(`/proc/${pid}`) && !/State:\s+Z/.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
          if (alive) await new Promise((res) => setTimeout(res, 100));
        }
        expect(alive, `worker ${pid}`).toBe(false);
      }

      const resumed = cli(['batch', r.input, '--pack', 'battery-ct-porosity', '--db', r.db, '--resume', id![1]!, '--json'], { dataDir: r.root });
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout)).toMatchObject({ batchId: Number(id![1]), skipped: runs, inspected: CASES * PER_CASE - runs, errors: 0, stopped: false });
    });
  }
});
