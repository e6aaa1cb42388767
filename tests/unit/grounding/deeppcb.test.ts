/**
 * The demo grounding pack's model card, reproduced: the app's engine (the code `inspector inspect`
 * runs) on the whole DeepPCB test split, with the card's thresholds, gives the card's AP@0.5 per
 * class (models/defects-grounding/evaluation.json `domains.pcb`, computed in PyTorch by
 * training/grounding/build.py) with the pack's full eight-phrase prompt. Needs ../shared/data/deeppcb.
 * The CT and surface domains: heldout.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../src/core/engine/engine';
import { averagePrecision, type LabelledBox, type ScoredBox } from '../../../src/core/grounding/ap';
import { loadPack } from '../../../src/core/packs/load';
import { repoRoot, sharedData } from '../../support/paths';

const packDir = join(repoRoot, 'models', 'defects-grounding');
const deeppcb = join(sharedData, 'deeppcb');
interface Evaluation {
  prompt: string;
  phrases: Record<string, string>;
  box_threshold: number;
  text_threshold: number;
  domains: Record<string, { per_class: Record<string, { ap50: number; ap50_95: number; n_gt: number }>; map50: number }>;
}

describe.skipIf(!existsSync(join(deeppcb, 'test.txt')))('DeepPCB test split reproduces the model card', () => {
  const engine = new Engine();
  afterAll(() => engine.close());

  it('AP@0.5 per class and mAP equal the card within 0.01', { timeout: 600_000 }, async () => {
    const evaluation = JSON.parse(readFileSync(join(packDir, 'evaluation.json'), 'utf8')) as Evaluation;
    const card = { ...evaluation, ...evaluation.domains['pcb']! };
    const pack = loadPack(packDir);
    const lines = readFileSync(join(deeppcb, 'test.txt'), 'utf8').split('\n').filter((l) => l.trim());
    expect(lines).toHaveLength(300);
    const truth = new Map<string, LabelledBox[]>();
    const paths: string[] = [];
    for (const line of lines) {
      const [img, ann] = line.split(/\s+/) as [string, string];
      const path = join(deeppcb, img.replace(/\.jpg$/, '_test.jpg'));
      paths.push(path);
      truth.set(
        path,
        readFileSync(join(deeppcb, ann), 'utf8')
          .split('\n')
          .map((r) => r.replace(/,/g, ' ').trim().split(/\s+/).map(Number))
          .filter((v) => v.length === 5)
          .map(([x1, y1, x2, y2, t]) => ({ label: card.phrases[String(t)]!, x: x1!, y: y1!, width: x2! - x1!, height: y2! - y1! })),
      );
    }
    const results = await engine.inspectFiles(pack, paths, { grounding: { prompt: card.prompt, boxThreshold: card.box_threshold, textThreshold: card.text_threshold } });
    const preds = new Map<string, ScoredBox[]>();
    for (const r of results) {
      expect(r.error).toBeUndefined();
      preds.set(r.source, r.detections!);
    }
    const ours: Record<string, number> = {};
    for (const [label, want] of Object.entries(card.per_class)) {
      ours[label] = averagePrecision(preds, truth, label, [0.5]);
      expect(Math.abs(ours[label]! - want.ap50), `${label}: ours ${ours[label]} card ${want.ap50}`).toBeLessThan(0.01);
    }
    const map = Object.values(ours).reduce((a, b) => a + b, 0) / Object.keys(ours).length;
    expect(Math.abs(map - card.map50)).toBeLessThan(0.01);
  });
});
