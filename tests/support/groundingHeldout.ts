/**
 * The demo grounding pack's held-out CT and surface sets, as the model card scores them: written by
 * training/grounding/heldout.py (the build's own code and seeds; `every` thins each domain's list),
 * inspected by the app's engine (what `inspector inspect` runs) with the card's prompt and
 * thresholds, AP@0.5 per class. Shared by the fast pinned-subset test
 * (tests/unit/grounding/heldout.test.ts) and the full reproduction (`npm run bench -- heldout`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from '../../src/core/engine/engine';
import { averagePrecision, type LabelledBox, type ScoredBox } from '../../src/core/grounding/ap';
import { loadPack } from '../../src/core/packs/load';
import { repoRoot, sharedData } from './paths';

export const groundingPackDir = join(repoRoot, 'models', 'defects-grounding');
const python = '/usr/bin/python3';
export const heldoutReady = existsSync(python) && existsSync(join(sharedData, 'battery-xct', 'slices')) && existsSync(join(sharedData, 'bsdata', 'labels'));

export interface CardEvaluation {
  prompt: string;
  box_threshold: number;
  text_threshold: number;
  domains: Record<string, { n_images: number; per_class: Record<string, { ap50: number; n_gt: number }> }>;
}

export const readCard = (): CardEvaluation => JSON.parse(readFileSync(join(groundingPackDir, 'evaluation.json'), 'utf8')) as CardEvaluation;

export interface DomainResult {
  n_images: number;
  /** Images the engine failed on (none expected). */
  errors: string[];
  per_class: Record<string, { ap50: number; n_gt: number }>;
}

/** Every `every`-th image of the CT and surface held-out sets, inspected with `engine`; AP@0.5 per card class. */
export async function heldoutAp(engine: Engine, every: number): Promise<Record<'ct' | 'surface', DomainResult>> {
  const card = readCard();
  const out = mkdtempSync(join(tmpdir(), 'grounding-heldout-'));
  try {
    execFileSync(python, [join(repoRoot, 'training', 'grounding', 'heldout.py'), out, '--domains', 'ct,surface', '--every', String(every)], { cwd: repoRoot, stdio: 'pipe' });
    const truthFile = JSON.parse(readFileSync(join(out, 'truth.json'), 'utf8')) as Record<string, { path: string; boxes: [number, number, number, number, string][] }[]>;
    const pack = loadPack(groundingPackDir);
    const result = {} as Record<'ct' | 'surface', DomainResult>;
    for (const domain of ['ct', 'surface'] as const) {
      const rows = truthFile[domain]!;
      const truth = new Map<string, LabelledBox[]>(rows.map((r) => [r.path, r.boxes.map(([x1, y1, x2, y2, label]) => ({ label, x: x1, y: y1, width: x2 - x1, height: y2 - y1 }))]));
      const results = await engine.inspectFiles(
        pack,
        rows.map((r) => r.path),
        { grounding: { prompt: card.prompt, boxThreshold: card.box_threshold, textThreshold: card.text_threshold } },
      );
      const preds = new Map<string, ScoredBox[]>();
      const errors: string[] = [];
      for (const r of results) {
        if (r.error) errors.push(`${r.source}: ${r.error.code}`);
        preds.set(r.source, r.detections ?? []);
      }
      const per_class: DomainResult['per_class'] = {};
      for (const label of Object.keys(card.domains[domain]!.per_class)) {
        per_class[label] = { ap50: averagePrecision(preds, truth, label, [0.5]), n_gt: [...truth.values()].flat().filter((b) => b.label === label).length };
      }
      result[domain] = { n_images: rows.length, errors, per_class };
    }
    return result;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
