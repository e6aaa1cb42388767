/**
 * The demo grounding pack's card, reproduced for its other two domains: the held-out battery CT
 * views (inserted voids, "porosity") and BSData's held-out series ("pitting"), written by
 * training/grounding/heldout.py with the build's own code and seeds, inspected by the app's engine
 * (what `inspector inspect` runs) with the card's prompt and thresholds: AP@0.5 per class equals
 * evaluation.json's `domains.ct` / `domains.surface` within 0.01. Needs ../shared/data and the
 * Python references (/usr/bin/python3 with OpenCV and PIL); skipped with a message otherwise.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../src/core/engine/engine';
import { averagePrecision, type LabelledBox, type ScoredBox } from '../../../src/core/grounding/ap';
import { loadPack } from '../../../src/core/packs/load';
import { repoRoot, sharedData } from '../../support/paths';

const packDir = join(repoRoot, 'models', 'defects-grounding');
const python = '/usr/bin/python3';
const ready = existsSync(python) && existsSync(join(sharedData, 'battery-xct', 'slices')) && existsSync(join(sharedData, 'bsdata', 'labels'));
if (!ready) console.warn('heldout.test.ts skipped: needs /usr/bin/python3 and ../shared/data (battery-xct, bsdata)');

interface Evaluation {
  prompt: string;
  box_threshold: number;
  text_threshold: number;
  domains: Record<string, { n_images: number; per_class: Record<string, { ap50: number; n_gt: number }> }>;
}

describe.skipIf(!ready)('battery CT and BSData held-out sets reproduce the model card', () => {
  const engine = new Engine();
  const out = mkdtempSync(join(tmpdir(), 'grounding-heldout-'));
  afterAll(async () => {
    await engine.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('AP@0.5 of porosity (CT) and pitting (surface) equal the card within 0.01', { timeout: 900_000 }, async () => {
    const card = JSON.parse(readFileSync(join(packDir, 'evaluation.json'), 'utf8')) as Evaluation;
    execFileSync(python, [join(repoRoot, 'training', 'grounding', 'heldout.py'), out, '--domains', 'ct,surface'], { cwd: repoRoot, stdio: 'pipe' });
    const truthFile = JSON.parse(readFileSync(join(out, 'truth.json'), 'utf8')) as Record<string, { path: string; boxes: [number, number, number, number, string][] }[]>;
    const pack = loadPack(packDir);
    for (const domain of ['ct', 'surface']) {
      const rows = truthFile[domain]!;
      const want = card.domains[domain]!;
      expect(rows).toHaveLength(want.n_images);
      const truth = new Map<string, LabelledBox[]>(rows.map((r) => [r.path, r.boxes.map(([x1, y1, x2, y2, label]) => ({ label, x: x1, y: y1, width: x2 - x1, height: y2 - y1 }))]));
      const results = await engine.inspectFiles(
        pack,
        rows.map((r) => r.path),
        { grounding: { prompt: card.prompt, boxThreshold: card.box_threshold, textThreshold: card.text_threshold } },
      );
      const preds = new Map<string, ScoredBox[]>();
      for (const r of results) {
        expect(r.error).toBeUndefined();
        preds.set(r.source, r.detections!);
      }
      for (const [label, c] of Object.entries(want.per_class)) {
        expect([...truth.values()].flat().filter((b) => b.label === label)).toHaveLength(c.n_gt);
        const ap = averagePrecision(preds, truth, label, [0.5]);
        expect(Math.abs(ap - c.ap50), `${domain} ${label}: ours ${ap} card ${c.ap50}`).toBeLessThan(0.01);
      }
    }
  });
});
