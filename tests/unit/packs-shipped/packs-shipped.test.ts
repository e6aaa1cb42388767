/**
 * The demo packs that ship in models/: every file matches its manifest's SHA-256, each pack loads
 * and validates, and on two of its sample cases the app's engine reproduces the reference outputs
 * computed independently in PyTorch by training/expected.py (stored in expected.json).
 * Needs no ../shared data: packs and samples live in the repository.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../src/core/engine/engine';
import { loadPack } from '../../../src/core/packs/load';
import { repoRoot } from '../../support/paths';

interface ClassifierExpectation {
  file: string;
  probabilities: number[];
  decision: string;
  defectCamPeak: [number, number];
  camSize: [number, number];
}
interface AnomalyExpectation {
  file: string;
  rawScore: number;
  decision: string;
  mapPeak: [number, number];
}

const modelsDir = join(repoRoot, 'models');
const samplesDir = join(repoRoot, 'resources', 'samples');
const expected = JSON.parse(readFileSync(join(import.meta.dirname, 'expected.json'), 'utf8')) as Record<string, (ClassifierExpectation | AnomalyExpectation)[]>;
const SHIPPED = ['battery-ct-porosity', 'chest-xray-pneumonia', 'surface-pitting-ae'];

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

function argmax2d(data: ArrayLike<number>, width: number): [number, number] {
  let best = 0;
  for (let i = 1; i < data.length; i++) if (data[i]! > data[best]!) best = i;
  return [Math.floor(best / width), best % width];
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    const s = statSync(p);
    n += s.isDirectory() ? dirBytes(p) : s.size;
  }
  return n;
}

describe('shipped demo packs', () => {
  const engine = new Engine({ providers: ['cpu'] });
  afterAll(() => engine.close());

  it('models/ holds the three demo packs and stays under the 80 MB budget', () => {
    const packs = readdirSync(modelsDir).filter((d) => statSync(join(modelsDir, d)).isDirectory());
    for (const name of SHIPPED) expect(packs).toContain(name);
    expect(dirBytes(modelsDir)).toBeLessThan(80 * 1024 * 1024);
  });

  for (const name of SHIPPED) {
    describe(name, () => {
      const dir = join(modelsDir, name);

      it('every file matches the SHA-256 in its manifest, the model card included', () => {
        const pack = loadPack(dir);
        const files = pack.manifest.files;
        expect(Object.keys(files).sort()).toEqual(expect.arrayContaining(['MODEL_CARD.md', 'model.onnx']));
        for (const [rel, hash] of Object.entries(files)) expect(sha256(join(dir, rel)), rel).toBe(hash);
        expect(pack.manifest.provenance.notes).toMatch(/MODEL_CARD\.md/);
      });

      it('reproduces the PyTorch reference outputs on two sample cases', async () => {
        const pack = loadPack(dir);
        const cases = expected[name]!;
        expect(cases).toHaveLength(2);
        const results = await engine.inspectFiles(pack, cases.map((c) => join(samplesDir, c.file)));
        results.forEach((r, i) => {
          const want = cases[i]!;
          expect(r.error, want.file).toBeUndefined();
          expect(r.decision, want.file).toBe(want.decision);
          if ('probabilities' in want) {
            const got = r.classification!.probabilities;
            want.probabilities.forEach((p, k) => expect(Math.abs(got[k]! - p), `${want.file} p[${k}]`).toBeLessThan(2e-3));
            const map = r.explanation!.map;
            expect(map.valid).toBe(true);
            expect([map.height, map.width]).toEqual(want.camSize);
            if (r.explanation!.targetClass === 1) expect(argmax2d(map.data, map.width), `${want.file} Grad-CAM peak`).toEqual(want.defectCamPeak);
          } else {
            const a = r.anomaly!;
            expect(Math.abs(a.rawScore! - want.rawScore) / want.rawScore, `${want.file} raw score`).toBeLessThan(2e-3);
            expect(a.map.valid).toBe(true);
            expect(argmax2d(a.map.data, a.map.width), `${want.file} anomaly map peak`).toEqual(want.mapPeak);
          }
        });
      });
    });
  }

  it('each pack carries its validation split as the drift baseline (scores in [0, 1], stats as derived)', () => {
    const sizes: Record<string, number> = {};
    for (const name of SHIPPED) {
      const ref = loadPack(join(modelsDir, name)).manifest.reference;
      expect(ref, name).toBeDefined();
      const { scores, derivation } = ref!;
      sizes[name] = scores.length;
      expect(scores.every((v) => v >= 0 && v <= 1), name).toBe(true);
      expect(derivation.stats?.['n']).toBe(scores.length);
      expect(scores.reduce((a, b) => a + b, 0) / scores.length).toBeCloseTo(derivation.stats!['mean']!, 5);
      // Normal and defective validation images both: a baseline of one class would flag every line as drifted.
      expect(scores.filter((v) => v < 0.5).length, name).toBeGreaterThan(scores.length / 4);
      expect(scores.filter((v) => v >= 0.5).length, name).toBeGreaterThan(scores.length / 20);
    }
    expect(sizes).toEqual({ 'battery-ct-porosity': 300, 'chest-xray-pneumonia': 156, 'surface-pitting-ae': 204 });
  });

  it('the chest pack says it is a demo, not for clinical use, in its manifest and card', () => {
    const m = loadPack(join(modelsDir, 'chest-xray-pneumonia')).manifest;
    expect(m.title?.en).toMatch(/not for clinical use/i);
    expect(m.description).toMatch(/not for clinical use/i);
    expect(readFileSync(join(modelsDir, 'chest-xray-pneumonia', 'MODEL_CARD.md'), 'utf8')).toMatch(/NOT FOR CLINICAL USE/);
  });
});
