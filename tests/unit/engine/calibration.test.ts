/**
 * An applied threshold version on the shipped RGB anomaly pack (raw image-score unit): the engine
 * decides by it (single threshold and T1/T2 band), the normalised score keeps "≥ 0.5 is anomalous",
 * the map's display anchor stays pack.yaml's, and a calibration for other files changes nothing.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StationCalibration } from '../../../src/core/engine/calibration';
import { Engine, type InspectionResult } from '../../../src/core/engine/engine';
import { packIdentity } from '../../../src/core/evaluation/packIdentity';
import { loadPack } from '../../../src/core/packs/load';
import { repoRoot } from '../../support/paths';

const engine = new Engine({ providers: ['cpu'] });
afterAll(() => engine.close());
const pack = loadPack(join(repoRoot, 'models', 'surface-pitting-ae'));
const dir = join(repoRoot, 'resources', 'samples', 'surface-pitting-ae');
const files = readdirSync(dir).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort().map((f) => join(dir, f));
const identity = packIdentity(pack.manifest.files);
const cal = (low: number, high: number, id = 7): StationCalibration => ({
  applied: { [identity]: { id, low, high, objective: low === high ? 'f1-optimal' : 'band', evaluationId: 3, operatorId: 'park.s' } },
  evaluated: { [identity]: 3 },
});
const raw = (r: InspectionResult) => r.anomaly!.rawScore!;

describe('applied thresholds on an anomaly pack', () => {
  it('decides by the applied raw threshold and band; pack.yaml otherwise', async () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
    const base = await engine.inspectFiles(pack, files, { calibration: { applied: {}, evaluated: {} } });
    const packT = pack.manifest.anomaly!.imageThreshold!.value;
    for (const r of base) {
      expect(r.threshold).toEqual({ source: 'pack', versionId: null, low: packT, high: packT, unit: 'raw anomaly score' });
      expect(r.validation).toMatchObject({ validated: false, packIdentity: identity });
      expect(r.decision).toBe(raw(r) >= packT ? 'defect' : 'pass');
    }
    const scores = base.map(raw).sort((a, b) => a - b);
    // A threshold exactly at the middle image's raw score: it and everything above are defects.
    const t = scores[Math.floor(scores.length / 2)]!;
    const one = await engine.inspectFiles(pack, files, { calibration: cal(t, t) });
    for (const [i, r] of one.entries()) {
      expect(raw(r)).toBe(raw(base[i]!));
      expect(r.threshold).toMatchObject({ source: 'applied', versionId: 7, low: t, high: t });
      expect(r.validation).toEqual({ validated: true, packIdentity: identity, evaluationId: 3, reason: null });
      expect(r.decision).toBe(raw(r) >= t ? 'defect' : 'pass');
      // The normalised score still puts the threshold in force at 0.5.
      expect(r.defectScore! >= 0.5).toBe(raw(r) >= t);
      // The map is drawn as pack.yaml anchors it (the applied image threshold is not a pixel threshold).
      expect(r.anomaly!.pixelThreshold).toBe(base[i]!.anomaly!.pixelThreshold);
    }
    // A band from the lowest score to the middle one: those go to a person, the rest are defects.
    const band = await engine.inspectFiles(pack, files, { calibration: cal(scores[0]!, t, 8) });
    for (const r of band) expect(r.decision).toBe(raw(r) >= t ? 'defect' : 'uncertain');
    expect(band.filter((r) => r.decision === 'uncertain').length).toBe(scores.filter((s) => s < t).length);
    // A version for other files (another identity) changes nothing.
    const other = await engine.inspectFiles(pack, files, { calibration: { applied: { ['0'.repeat(64)]: cal(t, t).applied[identity]! }, evaluated: {}, lastEvaluatedByName: { [pack.manifest.name]: { identity: '0'.repeat(64), evaluationId: 2 } } } });
    other.forEach((r, i) => {
      expect(r.decision).toBe(base[i]!.decision);
      expect(r.threshold?.source).toBe('pack');
      expect(r.validation?.reason).toMatch(/model files changed since evaluation 2/);
    });
  }, 120_000);
});
