/**
 * Which class a map explains. `predicted` is pytorch-grad-cam's choice (the top class); `defect`
 * explains the most probable defect label on every image, so heat always means defect evidence.
 * Regions are defect locations: a map of a normal label yields none.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../src/core/engine/engine';
import { classifierPack, imageDir, scratch } from './support';

const LABELS = ['ok', 'scratch', 'dent'];

describe('explanation.targetClass', () => {
  const engine = new Engine();
  afterAll(() => engine.close());
  const files = readdirSync(imageDir).filter((f) => f.endsWith('.png')).map((f) => join(imageDir, f));

  // The fixture model is untrained and ranks the same class first on every image: calling that class
  // "normal" exercises the good-part rules, calling another one exercises the defect-top case.
  it.each(['the top class', 'another class'])('defect: maps explain the most probable defect label (normal = %s)', async (which) => {
    const probe = await classifierPack('resnet-mini', { out: scratch('cam-probe') });
    const top = (await engine.inspectFiles(probe, files.slice(0, 1), { method: 'none' }))[0]!.classification!.topClass;
    const normal = which === 'the top class' ? top : (top + 1) % 3;
    const normalLabels = [LABELS[normal]!];
    const predicted = await classifierPack('resnet-mini', { out: scratch('cam-predicted'), normalLabels });
    const defect = await classifierPack('resnet-mini', { out: scratch('cam-defect'), normalLabels, camClass: 'defect' });
    expect(defect.manifest.explanation?.targetClass).toBe('defect');
    const a = await engine.inspectFiles(predicted, files, { method: 'gradcam' });
    const b = await engine.inspectFiles(defect, files, { method: 'gradcam' });
    let normalTops = 0;
    for (let i = 0; i < files.length; i++) {
      const p = b[i]!.classification!.probabilities;
      const defects = [0, 1, 2].filter((k) => k !== normal);
      const best = defects.reduce((x, y) => (p[y]! > p[x]! ? y : x));
      expect(b[i]!.explanation!.targetClass).toBe(best);
      if (a[i]!.classification!.topClass === normal) {
        normalTops++;
        expect(a[i]!.explanation!.targetClass).toBe(normal);
        // A map of the good class is not a defect location.
        expect(a[i]!.regions).toEqual([]);
      } else {
        // Where the top class already is a defect, both modes explain the same class identically.
        expect(Array.from(b[i]!.explanation!.map.data)).toEqual(Array.from(a[i]!.explanation!.map.data));
      }
    }
    expect(normalTops).toBe(which === 'the top class' ? files.length : 0);
  });
});
