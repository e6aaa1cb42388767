/**
 * Ctrl-C during `inspector dicom retrieve --get`, as a user presses it: the real CLI process gets
 * SIGINT once the first instance is in the inbox, sends C-CANCEL to a real Orthanc, and exits 1
 * with DICOM_CANCELLED — the instances that came stay in the inbox and the history. (`dicom find`
 * takes the same signal into the same cFind; Orthanc answers 400 studies faster than a signal can
 * be sent from here, so its cancel is checked in-process in cancel-scu.test.ts.)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/core/history/index';
import { repoRoot, hasShared, sharedData } from '../../support/paths';
import { heldOf } from './naturalize';
import { hasOrthanc, Orthanc } from './orthanc';

const bin = join(repoRoot, 'bin', 'inspector.js');
const CT_DIR = join(sharedData, 'dicom', 'ct-series-ge-head-tilted');
const files = hasShared ? readdirSync(CT_DIR).filter((f) => f.endsWith('.dcm')).sort().map((f) => join(CT_DIR, f)) : [];
const walk = (p: string): string[] => (existsSync(p) ? readdirSync(p, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(p, d.name)) : [join(p, d.name)])) : []);

/** Runs the CLI; `interruptWhen` is polled and SIGINT sent once it holds. */
function cli(args: string[], dataDir: string, interruptWhen: (out: string) => boolean): Promise<{ code: number | null; stdout: string; stderr: string; interrupted: boolean }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { env: { ...process.env, INSPECTOR_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const poll = setInterval(() => {
      if (!interrupted && interruptWhen(stdout)) {
        interrupted = true;
        p.kill('SIGINT');
      }
    }, 5);
    const killer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('close', (code) => {
      clearInterval(poll);
      clearTimeout(killer);
      resolve({ code, stdout, stderr, interrupted });
    });
  });
}

describe.skipIf(!hasOrthanc || !hasShared)('Ctrl-C in the CLI cancels a retrieve / find (C-CANCEL to Orthanc)', () => {
  const tmp = mkdtempSync(join(os.tmpdir(), 'inspector-cancel-cli-'));
  let pacs: Orthanc;
  let study = '';

  beforeAll(async () => {
    pacs = await Orthanc.start({ inspector: { AET: 'INSPECTOR', Host: '127.0.0.1', Port: 104, AllowGet: true } });
    for (const f of files) await pacs.upload(f);
    study = heldOf(readFileSync(files[0]!)).study;
  }, 120_000);

  afterAll(async () => {
    await pacs?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('dicom retrieve --get: SIGINT after the first instance → DICOM_CANCELLED, exit 1, what came is in the inbox and the history', async () => {
    const inbox = join(tmp, 'inbox');
    const db = join(tmp, 'h.sqlite');
    const r = await cli(['dicom', 'retrieve', '--from', `${pacs.aet}@127.0.0.1:${pacs.dicom}`, '--get', '--study', study, '--inbox', inbox, '--db', db], join(tmp, 'data'), () => walk(inbox).some((f) => f.endsWith('.dcm')));
    expect(r.interrupted).toBe(true);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/inspector: DICOM_CANCELLED: /);
    const m = /cancelled: (\d+) of 28 instances/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const kept = walk(inbox).filter((f) => f.endsWith('.dcm'));
    expect(kept.length).toBe(Number(m![1]));
    expect(kept.length).toBeLessThan(files.length);
    const store = HistoryStore.open(db);
    try {
      expect(store.db.prepare('SELECT count(*) FROM dicom_instances').pluck().get()).toBe(kept.length);
    } finally {
      store.close();
    }
  }, 90_000);

  it('dicom retrieve --url (WADO-RS): SIGINT after the first instance aborts the download → DICOM_CANCELLED, whole instances kept, none truncated', async () => {
    const inbox = join(tmp, 'inbox-wado');
    const db = join(tmp, 'h-wado.sqlite');
    const r = await cli(['dicom', 'retrieve', '--url', `${pacs.url}/dicom-web`, '--study', study, '--inbox', inbox, '--db', db], join(tmp, 'data'), () => walk(inbox).some((f) => f.endsWith('.dcm')));
    expect(r.interrupted).toBe(true);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/inspector: DICOM_CANCELLED: /);
    const m = /cancelled: (\d+) of \? instances/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const kept = walk(inbox).filter((f) => f.endsWith('.dcm'));
    expect(kept.length).toBe(Number(m![1]));
    expect(kept.length).toBeGreaterThanOrEqual(1);
    expect(kept.length).toBeLessThan(files.length);
    // Every kept file is a whole instance: byte-identical to one of the study's files.
    const originals = new Set(files.map((f) => readFileSync(f).toString('base64')));
    for (const k of kept) expect(originals.has(readFileSync(k).toString('base64'))).toBe(true);
    const store = HistoryStore.open(db);
    try {
      expect(store.db.prepare('SELECT count(*) FROM dicom_instances').pluck().get()).toBe(kept.length);
    } finally {
      store.close();
    }
    // Without the signal the same command retrieves the whole study.
    const full = await cli(['dicom', 'retrieve', '--url', `${pacs.url}/dicom-web`, '--study', study, '--inbox', join(tmp, 'inbox-wado-full'), '--db', join(tmp, 'h-wado-full.sqlite')], join(tmp, 'data'), () => false);
    expect(full.code, full.stderr).toBe(0);
    expect(full.stdout).toMatch(new RegExp(`retrieved ${files.length} instances`));
  }, 90_000);
});
