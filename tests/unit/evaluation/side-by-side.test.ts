/**
 * Side by side: the line-demo setup (shipped CT classifier + RGB anomaly pack, inspector.yaml)
 * evaluated on its labelled images gives one table — each pack and the integrated verdict on the
 * same cases — whose rows are the per-pack and per-case evaluations; and two systems on the same
 * images (the CT pack with Grad-CAM and a copy explaining with Grad-CAM++) get per-image agreement
 * whose region IoU this test recomputes from the regions the history recorded.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/paths';

const bin = join(repoRoot, 'bin', 'inspector.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 240_000 });
const demo = join(repoRoot, 'resources', 'samples', 'line-demo');

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(os.tmpdir(), 'inspector-side-by-side-'));
}, 10_000);

/** IoU of the unions of two box lists on a W × H grid, written out plainly. */
function iou(a: number[][], b: number[][], W: number, H: number): number | null {
  if (!a.length && !b.length) return null;
  const inside = (bs: number[][], x: number, y: number) => bs.some(([bx, by, bw, bh]) => x >= Math.floor(bx!) && x < Math.ceil(bx! + bw!) && y >= Math.floor(by!) && y < Math.ceil(by! + bh!));
  let i = 0;
  let u = 0;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const p = inside(a, x, y);
    const q = inside(b, x, y);
    if (p || q) u++;
    if (p && q) i++;
  }
  return u ? i / u : null;
}

describe('side by side', () => {
  it('the line-demo setup: each pack and the integrated verdict on the same cases, in one table and metrics.json', () => {
    const set = join(root, 'line');
    mkdirSync(set, { recursive: true });
    for (const f of readdirSync(demo).filter((f) => /\.(png|jpg)$/.test(f))) copyFileSync(join(demo, f), join(set, f));
    const labels: Record<string, string> = { 'cell-002_ct.png': 'porosity', 'cell-004_ct.png': 'porosity', 'cell-003_surface.jpg': 'pitting' };
    writeFileSync(join(set, 'labels.csv'), ['path,label', ...readdirSync(set).filter((f) => /\.(png|jpg)$/.test(f)).map((f) => `${f},${labels[f] ?? 'normal'}`)].join('\n') + '\n');
    const out = join(root, 'line-out');
    const db = join(root, 'line.sqlite');
    const r = cli('evaluate', '--config', join(demo, 'inspector.yaml'), '--set', set, '--db', db, '--json', '--bootstrap', '50', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const ev = JSON.parse(r.stdout);
    const t = ev.sideBySide;
    // The sides' grounding pack (inspector.yaml `sides.*.grounding`) is a system of its own.
    expect(t.systems.map((s: { system: string }) => s.system)).toEqual(['battery-ct-porosity', 'surface-pitting-ae', 'defects-grounding', 'integrated verdict']);
    ev.packs.forEach((p: { pack: { name: string }; images: number; binary: { point: { f1: number }; rocAuc: number; f1Ci: unknown } }, i: number) => {
      expect(t.systems[i]).toMatchObject({ system: p.pack.name, images: p.images, f1: p.binary.point.f1, rocAuc: p.binary.rocAuc, f1Ci: p.binary.f1Ci, cases: 4 });
    });
    // The integrated row is the case evaluation, binary: flagged = any verdict but PASS.
    expect(t.systems[3]).toMatchObject({ caseRecall: ev.cases.defectRecall, caseFalseAlarm: ev.cases.falseAlarmRate, ap50: null });
    // Per pack, case calls recomputed from the history: any image of the case at or above its threshold.
    const h = new Database(db, { readonly: true });
    const runs = h.prepare('SELECT r.pack_name AS pack, c.case_key AS k, r.score, r.thresholds, r.scores FROM inference_runs r JOIN cases c ON c.id = r.case_id WHERE r.batch_id = ?').all(ev.batch.batchId) as { pack: string; k: string; score: number; thresholds: string; scores: string }[];
    h.close();
    const truth: Record<string, boolean> = { 'cell-001': false, 'cell-002': true, 'cell-003': true, 'cell-004': true };
    for (const [i, pack] of ['battery-ct-porosity', 'surface-pitting-ae'].entries()) {
      const calls = new Map<string, boolean>();
      for (const x of runs.filter((x) => x.pack === pack)) {
        const th = JSON.parse(x.thresholds);
        const raw = JSON.parse(x.scores).anomalyRaw;
        const f = th.imageThreshold !== undefined ? raw >= th.imageThreshold : x.score >= th.low;
        calls.set(x.k, (calls.get(x.k) ?? false) || f);
      }
      const keys = Object.keys(truth);
      const flaggedDefective = keys.filter((k) => truth[k] && calls.get(k)).length;
      const accuracy = keys.filter((k) => (calls.get(k) ?? false) === truth[k]).length / 4;
      expect(t.systems[i].caseRecall).toBeCloseTo(flaggedDefective / 3, 12);
      expect(t.systems[i].caseAccuracy).toBeCloseTo(accuracy, 12);
    }
    // The two sides share no image; the detector ran on both sides' images, so each side's pack has
    // 4 common images with it (its boxes in the region IoU).
    expect(t.agreement).toEqual([
      expect.objectContaining({ a: 'battery-ct-porosity', b: 'surface-pitting-ae', images: 0, decisionAgreement: null }),
      expect.objectContaining({ a: 'battery-ct-porosity', b: 'defects-grounding', images: 4 }),
      expect.objectContaining({ a: 'surface-pitting-ae', b: 'defects-grounding', images: 4 }),
    ]);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(m.sideBySide).toEqual(t);
    const text = cli('evaluate', '--config', join(demo, 'inspector.yaml'), '--set', set, '--db', db, '--bootstrap', '50');
    expect(text.stdout).toMatch(/Side by side on the same set/);
    expect(text.stdout).toMatch(/\n {2}integrated verdict {6}\s+4\s+—/);
    expect(text.stdout).toMatch(/no image inspected by both/);
  }, 240_000);

  it('two systems on the same images: per-image calls and region IoU as recomputed from the recorded regions', () => {
    const copy = join(root, 'ct-gradcampp');
    cpSync(join(repoRoot, 'models', 'battery-ct-porosity'), copy, { recursive: true });
    const yaml = readFileSync(join(copy, 'pack.yaml'), 'utf8').replace(/^name: battery-ct-porosity$/m, 'name: battery-ct-porosity-gradcampp').replace(/^(explanation:\n {2}method:) \w+$/m, '$1 gradcampp');
    expect(yaml).toMatch(/method: gradcampp/);
    writeFileSync(join(copy, 'pack.yaml'), yaml);
    const set = join(root, 'ct');
    const ct = join(repoRoot, 'resources', 'samples', 'battery-ct-porosity');
    for (const [cls, names] of [['normal', ['ct_slice2_normal_1.png', 'ct_slice2_normal_2.png']], ['porosity', ['ct_slice2_porosity_1.png', 'ct_slice2_porosity_2.png']]] as const) {
      mkdirSync(join(set, cls), { recursive: true });
      for (const n of names) copyFileSync(join(ct, n), join(set, cls, n));
    }
    const db = join(root, 'ct.sqlite');
    const r = cli('evaluate', '--pack', 'battery-ct-porosity', '--pack', copy, '--set', set, '--db', db, '--json', '--bootstrap', '20');
    expect(r.status, r.stderr).toBe(0);
    const ev = JSON.parse(r.stdout);
    const [a] = ev.sideBySide.agreement;
    expect(a).toMatchObject({ a: 'battery-ct-porosity', b: 'battery-ct-porosity-gradcampp', images: 4 });
    const h = new Database(db, { readonly: true });
    const rows = h.prepare('SELECT r.pack_name AS pack, i.source_path AS path, r.regions, i.width, i.height FROM inference_runs r JOIN images i ON i.id = r.image_id WHERE r.batch_id = ?').all(ev.batch.batchId) as { pack: string; path: string; regions: string; width: number; height: number }[];
    h.close();
    let withRegions = 0;
    for (const img of a.perImage) {
      const ra = rows.find((x) => x.pack === 'battery-ct-porosity' && x.path === img.path)!;
      const rb = rows.find((x) => x.pack === 'battery-ct-porosity-gradcampp' && x.path === img.path)!;
      const ba = JSON.parse(ra.regions).map((g: { box: number[] }) => g.box);
      const bb = JSON.parse(rb.regions).map((g: { box: number[] }) => g.box);
      const want = iou(ba, bb, ra.width, ra.height);
      if (want === null) expect(img.iou).toBeNull();
      else expect(img.iou).toBeCloseTo(want, 12);
      if (ba.length && bb.length) withRegions++;
      // Same model, same thresholds: the calls agree.
      expect(img.a).toBe(img.b);
    }
    expect(a.bothWithRegions).toBe(withRegions);
    expect(withRegions).toBeGreaterThan(0);
    expect(a.decisionAgreement).toBe(1);
    expect(a.meanIou).toBeGreaterThan(0);
  }, 240_000);
});
