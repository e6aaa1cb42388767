/**
 * A grounding detector in `inspector evaluate`, end to end with the shipped defects-grounding pack on
 * real held-out images (every 10th DeepPCB test pair and BSData test photo, written as COCO JSON by
 * training/eval_sets.py): per-class box AP@0.5, AP@[.5:.95] (COCO, 101-point) and F1 at IoU 0.5 in
 * metrics.json equal an independent implementation — reference.py's COCOeval rewrite in numpy, which
 * reads the set's annotations file and the detections.json `evaluate --out` wrote, sharing no code
 * with the TypeScript. A station config with a side pack and that side's grounding pack gives one
 * row per system (and the integrated verdict's) in the side-by-side table, and the systems'
 * agreement includes the grounding boxes' IoU.
 * Needs ../shared/data (deeppcb, bsdata) and /usr/bin/python3 with OpenCV; skipped otherwise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionIou } from '../../../src/core/evaluation/sideBySide';
import { repoRoot, sharedData } from '../../support/paths';

const PY = '/usr/bin/python3';
const ready = existsSync(PY) && existsSync(join(sharedData, 'deeppcb')) && existsSync(join(sharedData, 'bsdata', 'labels'));
if (!ready) console.warn('grounding-evaluate.test.ts skipped: needs /usr/bin/python3 (OpenCV) and ../shared/data (deeppcb, bsdata)');

const bin = join(repoRoot, 'bin', 'inspector.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 400_000 });
/** The card's low thresholds: the whole precision-recall curve, as the card's AP is measured. */
const CARD_THRESHOLDS = ['--box-threshold', '0.05', '--text-threshold', '0.05'];
/** Every 10th DeepPCB test pair, all-point AP@0.5 per class with the guard's flagged images' boxes kept (this pack's weights). */
const PCB_SUBSET_AP50: Record<string, number> = { 'mouse bite': 0.5576, 'open circuit': 0.6515, 'pin hole': 0.7245, short: 0.3071, spur: 0.2367, 'spurious copper': 0.8988 };

interface ClassRow { label: string; ap50: number | null; ap: number | null; f1At50: number; truths: number; detections: number; ap50AllPoint?: number }
type Reference = { ap50: number; ap: number; per_class: Record<string, { ap50: number; ap: number; f1_50: number }> };

function reference(annotations: string, detections: string): Reference {
  const r = spawnSync(PY, [join(import.meta.dirname, 'reference.py')], { input: JSON.stringify({ coco_files: { annotations, detections } }), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout).coco_files as Reference;
}

function expectSameAp(metrics: { packs: { pack: { name: string }; localisation: { ap50: number; ap: number; perClass: ClassRow[] } | null }[] }, ref: Reference): void {
  const l = metrics.packs.find((p) => p.pack.name === 'defects-grounding')!.localisation!;
  const withTruth = l.perClass.filter((c) => c.truths > 0);
  expect(withTruth.map((c) => c.label).sort()).toEqual(Object.keys(ref.per_class).sort());
  for (const c of withTruth) {
    const want = ref.per_class[c.label]!;
    expect(c.ap50, `${c.label} AP@0.5`).toBeCloseTo(want.ap50, 9);
    expect(c.ap, `${c.label} AP@[.5:.95]`).toBeCloseTo(want.ap, 9);
    expect(c.f1At50, `${c.label} F1@IoU0.5`).toBeCloseTo(want.f1_50, 9);
    // The card's all-point figure is a different interpolation of the same curve: near, not equal.
    expect(Math.abs(c.ap50AllPoint! - c.ap50!)).toBeLessThan(0.02);
  }
  expect(l.ap50).toBeCloseTo(ref.ap50, 9);
  expect(l.ap).toBeCloseTo(ref.ap, 9);
}

describe.skipIf(!ready)('grounding detectors in evaluate: COCO box AP against an independent numpy COCOeval', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(os.tmpdir(), 'inspector-eval-grounding-'));
    const r = spawnSync(PY, [join(repoRoot, 'training', 'eval_sets.py'), join(root, 'sets'), '--only', 'grounding', '--grounding-domains', 'pcb,surface', '--every', '10'], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  }, 120_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('DeepPCB every 10th test pair: per-class AP@0.5, AP@[.5:.95], F1@IoU0.5 as the reference computes them', { timeout: 420_000 }, () => {
    const set = join(root, 'sets', 'defects-grounding-pcb');
    const out = join(root, 'pcb-out');
    // As the card measures: the model's boxes on every image, the guard's flagged ones included.
    const r = cli('evaluate', '--pack', 'defects-grounding', '--set', set, '--db', join(root, 'pcb.sqlite'), '--out', out, '--bootstrap', '50', ...CARD_THRESHOLDS, '--with-guarded-boxes');
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.set.images).toBe(30);
    const l = metrics.packs[0].localisation;
    expect(l.perClass.reduce((n: number, c: ClassRow) => n + c.truths, 0)).toBe(188);
    expectSameAp(metrics, reference(join(set, 'annotations.json'), join(out, 'detections.json')));
    // The subset's figures as pinned (card's all-point AP@0.5; re-derive after a retrain from this
    // test's message — the full set against the card itself is `npm run bench -- cards`).
    const got = Object.fromEntries(l.perClass.filter((c: ClassRow) => c.truths > 0).map((c: ClassRow) => [c.label, Number(c.ap50AllPoint!.toFixed(4))]));
    expect(Object.keys(got).sort()).toEqual(Object.keys(PCB_SUBSET_AP50).sort());
    for (const [label, pin] of Object.entries(PCB_SUBSET_AP50)) expect(Math.abs(got[label] - pin), `${label}: got ${JSON.stringify(got)}`).toBeLessThan(0.01);
    expect(metrics.packs[0].outOfEnvelope.boxesWithheld).toBe(0);
    // The printed table carries the same figures.
    for (const c of l.perClass.filter((x: ClassRow) => x.truths > 0)) expect(r.stdout).toMatch(new RegExp(`${c.label}\\s+${c.truths}\\s+${c.detections}\\s+${c.ap50.toFixed(3)}\\s+${c.ap.toFixed(3)}`));
  });

  it('a config with a side pack and its grounding pack: a row per system, the verdict row, agreement with box IoU', { timeout: 420_000 }, () => {
    const set = join(root, 'sets', 'defects-grounding-surface');
    const config = join(root, 'inspector.yaml');
    writeFileSync(config, 'version: 1\nsides:\n  external:\n    pack: surface-pitting-ae\n    grounding:\n      pack: pcb-defects-grounding\n');
    const out = join(root, 'surface-out');
    const db = join(root, 'surface.sqlite');
    expect(cli('operator', 'create', 'park.s', '--name', 'Park Seo', '--role', 'supervisor', '--select', '--db', db).status).toBe(0);
    const pdf = join(root, 'surface.pdf');
    const r = cli('evaluate', '--config', config, '--set', set, '--db', db, '--out', out, '--bootstrap', '50', '--pdf', pdf, ...CARD_THRESHOLDS);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    const systems = metrics.sideBySide.systems as { system: string; kind: string; ap50: number | null; images: number }[];
    expect(systems.map((s) => s.system)).toEqual(['surface-pitting-ae', 'defects-grounding', 'integrated verdict']);
    const g = systems.find((s) => s.system === 'defects-grounding')!;
    expect(g.kind).toBe('grounding');
    expect(g.images).toBe(28);
    expect(g.ap50).toBe(metrics.packs[1].localisation.ap50);
    expect(systems[2]!.ap50).toBeNull();
    expectSameAp(metrics, reference(join(set, 'annotations.json'), join(out, 'detections.json')));
    expect(r.stdout).toMatch(/box AP@0\.5/);
    // By default the station's view: a flagged image's boxes are withheld, and the run says how many.
    const o = metrics.packs[1].outOfEnvelope;
    expect(o.boxesWithheld).toBe(o.images);
    if (o.images) expect(r.stdout).toMatch(new RegExp(`input guard: ${o.images} image\\(s\\) outside`));
    // Agreement of the anomaly pack's regions with the detector's boxes, image by image.
    const a = metrics.sideBySide.agreement[0];
    expect([a.a, a.b]).toEqual(['surface-pitting-ae', 'defects-grounding']);
    expect(a.images).toBe(28);
    const boxes = JSON.parse(readFileSync(join(out, 'detections.json'), 'utf8')) as { image: string; bbox: [number, number, number, number] }[];
    const withBoxes = a.perImage.filter((x: { path: string }) => boxes.some((b) => b.image === x.path));
    expect(withBoxes.length).toBeGreaterThan(0);
    // An image with detector boxes has an IoU (0 when the anomaly pack drew no region there).
    for (const x of withBoxes) expect(x.iou).not.toBeNull();
    expect(regionIou([], boxes.slice(0, 1).map((b) => b.bbox), 100, 100)).toBe(0);
    // The validation record (PDF) carries the detector's row and its per-class boxes.
    const pdfText = spawnSync('pdftotext', ['-enc', 'UTF-8', pdf, '-'], { encoding: 'utf8' });
    if (pdfText.status === 0) {
      const gl = metrics.packs[1].localisation;
      expect(pdfText.stdout).toContain(`box AP@0.5 ${g.ap50!.toFixed(3)}`);
      const pitting = gl.perClass.find((c: ClassRow) => c.label === 'pitting');
      expect(pdfText.stdout).toContain(`pitting: ${pitting.truths} boxes, ${pitting.detections} kept; AP@0.5 ${pitting.ap50.toFixed(3)}`);
    } else console.warn('pdftotext absent: the PDF check is skipped');
  });
});
