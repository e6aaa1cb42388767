/**
 * A grounding detector in the Evaluate room (Chromium, real host, worker, CLI and SQLite, shipped
 * packs): `inspector evaluate --config` with the surface side's anomaly pack and that side's
 * grounding pack on a few held-out BSData photos (COCO boxes from training/eval_sets.py) records an
 * evaluation before the app opens; the room reopens it and shows one row per system — both packs
 * and the integrated verdict — with the detector's box AP@0.5, AP@[.5:.95] and F1@IoU 0.5 as the
 * CLI computed them, the agreement of the two systems' regions, and the detector's per-class box table.
 * Needs ../shared/data (bsdata) and /usr/bin/python3 (OpenCV).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appPaths } from '../../src/host/paths';
import { openBridge, type Bridge } from '../support/bridge';
import { repoRoot, sharedData } from '../support/paths';

const PY = '/usr/bin/python3';
const ready = existsSync(PY) && existsSync(join(sharedData, 'bsdata', 'labels'));
const f3 = (v: number | null) => (v === null ? '—' : v.toFixed(3));

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'inspector.js'), ...args], { encoding: 'utf8', timeout: 300_000 });
  expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

interface Row { system: string; ap50: number | null; ap: number | null; f1At50: number | null }

describe.skipIf(!ready)('grounding detector in the Evaluate room (Chromium, real host, CLI, SQLite)', () => {
  let b: Bridge;
  let evaluationId: number;
  let systems: Row[];
  let agreement: { a: string; b: string; images: number; meanIou: number | null };
  let perClass: { label: string; truths: number; ap50: number | null }[];

  beforeAll(async () => {
    const userDataDir = mkdtempSync(join(os.tmpdir(), 'inspector-e2e-eval-grounding-'));
    const root = mkdtempSync(join(os.tmpdir(), 'inspector-e2e-eval-grounding-set-'));
    const r = spawnSync(PY, [join(repoRoot, 'training', 'eval_sets.py'), root, '--only', 'grounding', '--grounding-domains', 'surface', '--every', '30'], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const config = join(root, 'inspector.yaml');
    writeFileSync(config, 'version: 1\nsides:\n  external:\n    pack: surface-pitting-ae\n    grounding:\n      pack: defects-grounding\n');
    const dbFile = appPaths(repoRoot, userDataDir).defaultDatabase;
    const ev = JSON.parse(cli(['evaluate', '--config', config, '--set', join(root, 'defects-grounding-surface'), '--db', dbFile, '--bootstrap', '20', '--box-threshold', '0.05', '--text-threshold', '0.05', '--json'])) as {
      evaluationId: number;
      sideBySide: { systems: Row[]; agreement: (typeof agreement)[] };
      packs: { pack: { name: string }; localisation: { perClass: typeof perClass } | null }[];
    };
    evaluationId = ev.evaluationId;
    systems = ev.sideBySide.systems;
    agreement = ev.sideBySide.agreement[0]!;
    perClass = ev.packs.find((p) => p.pack.name === 'defects-grounding')!.localisation!.perClass.filter((c) => c.truths > 0);
    b = await openBridge({ userDataDir });
  }, 400_000);
  afterAll(async () => {
    await b?.close();
  });

  it('a row per system with the box figures, the agreement, and the detector\'s per-class boxes', async () => {
    const { page } = b;
    await page.getByTestId('view-review').waitFor();
    await page.keyboard.press('Alt+4');
    await page.getByTestId('evaluate').waitFor();
    await page.getByTestId(`eval-open-${evaluationId}`).click({ timeout: 30_000 });
    await page.getByTestId('eval-systems').waitFor();
    expect(systems.map((s) => s.system)).toEqual(['surface-pitting-ae', 'defects-grounding', 'integrated verdict']);
    for (const s of systems) {
      const cells = await page.getByTestId(`eval-system-${s.system}`).locator('td').allTextContents();
      // images, F1, recall, ROC-AUC, box AP@0.5, AP@[.5:.95], F1@IoU 0.5, …
      expect(cells.slice(4, 7), s.system).toEqual([f3(s.ap50), f3(s.ap), f3(s.f1At50)]);
    }
    expect(systems[1]!.ap50).not.toBeNull();
    expect(await page.getByTestId(`eval-agreement-${agreement.a}-${agreement.b}`).textContent()).toContain(f3(agreement.meanIou));
    await page.getByTestId('eval-tab-defects-grounding').click();
    for (const c of perClass) expect(await page.getByTestId(`eval-boxes-${c.label}`).locator('td').nth(2).textContent()).toBe(f3(c.ap50));
    // A detector has no image threshold to apply.
    expect(await page.getByTestId('eval-apply').count()).toBe(0);
    await b.screenshot('evaluate-grounding');
  }, 120_000);
});
