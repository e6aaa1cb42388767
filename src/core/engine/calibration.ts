/**
 * The station's calibration of a pack: the threshold version applied for its exact model files
 * (`inspector threshold apply`, audited) replaces pack.yaml's thresholds, and whether those files
 * were evaluated on this station decides the "not validated on this station" notice every result
 * carries. Read from the history by the host (`stationCalibration`), handed to the engine as data:
 * the engine never opens the database.
 */
import { packIdentity } from '../evaluation/packIdentity';
import type { LoadedPack } from '../packs/load';

export interface AppliedThreshold {
  /** threshold_versions.id */
  id: number;
  low: number;
  high: number;
  objective: string;
  /** Null for a version chosen from reviewed history rather than an evaluation. */
  evaluationId: number | null;
  operatorId: string;
}

export interface StationCalibration {
  /** Newest applied threshold version per pack identity. */
  applied: Record<string, AppliedThreshold>;
  /** Newest evaluation id per evaluated pack identity. */
  evaluated: Record<string, number>;
  /** Per pack name, the identity and id of its newest evaluation: says "files changed since evaluation N". */
  lastEvaluatedByName?: Record<string, { identity: string; evaluationId: number }>;
}

/**
 * The threshold that decided: pack.yaml's (`pack`) or an applied version (`applied`, with its id).
 * Classifiers: on the defect probability (low ≤ p < high is UNCERTAIN). Anomaly packs: on the raw
 * image score, pack.yaml's `anomaly.imageThreshold` unit (a band low < high makes UNCERTAIN too).
 */
export interface ThresholdInForce {
  source: 'pack' | 'applied';
  versionId: number | null;
  low: number;
  high: number;
  unit: 'probability' | 'raw anomaly score';
  objective?: string;
  evaluationId?: number;
}

export interface ValidationInfo {
  validated: boolean;
  packIdentity: string;
  /** The newest evaluation of exactly these files on this station. */
  evaluationId: number | null;
  /** Why not validated (null when validated). */
  reason: string | null;
}

export const NOT_VALIDATED = 'not validated on this station';

export function validationOf(pack: LoadedPack, cal: StationCalibration | undefined): ValidationInfo {
  const identity = packIdentity(pack.manifest.files ?? {});
  if (!cal) return { validated: false, packIdentity: identity, evaluationId: null, reason: `${NOT_VALIDATED}: inspected without a station history to check` };
  const ev = cal.evaluated[identity];
  if (ev !== undefined) return { validated: true, packIdentity: identity, evaluationId: ev, reason: null };
  const before = cal.lastEvaluatedByName?.[pack.manifest.name];
  const reason = before
    ? `${NOT_VALIDATED}: the pack's model files changed since evaluation ${before.evaluationId}; its applied thresholds no longer apply`
    : `${NOT_VALIDATED}: no evaluation of these pack files is recorded`;
  return { validated: false, packIdentity: identity, evaluationId: null, reason };
}

/** The thresholds pack.yaml gives, in the unit an applied version would replace. */
function packThreshold(pack: LoadedPack): ThresholdInForce | null {
  const m = pack.manifest;
  if (m.kind === 'classifier') return { source: 'pack', versionId: null, low: m.decision?.low ?? 0.5, high: m.decision?.high ?? 0.5, unit: 'probability' };
  const it = m.kind === 'anomaly' ? m.anomaly?.imageThreshold?.value : undefined;
  if (it !== undefined) return { source: 'pack', versionId: null, low: it, high: it, unit: 'raw anomaly score' };
  return null;
}

export interface CalibratedPack {
  pack: LoadedPack;
  threshold: ThresholdInForce | null;
  validation: ValidationInfo;
}

// The calibrated copy is reused for the same pack object and version, so the per-pack caches the
// engine keys by object (head plans, guard models) are not rebuilt per batch.
const copies = new WeakMap<LoadedPack, { key: string; value: CalibratedPack }>();

/**
 * The pack as this station runs it: a shallow copy whose manifest carries the applied version's
 * thresholds (classifier `decision`, anomaly `imageThreshold`; the anomaly map's display anchor
 * stays where pack.yaml put it), or the pack itself when no version applies to these files.
 */
export function calibratePack(pack: LoadedPack, cal: StationCalibration | undefined): CalibratedPack {
  const validation = validationOf(pack, cal);
  const applied = cal?.applied[validation.packIdentity];
  const base = packThreshold(pack);
  if (!applied || !base) return { pack, threshold: base, validation };
  const key = `${applied.id}:${validation.validated}:${validation.evaluationId}`;
  const hit = copies.get(pack);
  if (hit?.key === key) return hit.value;
  const m = pack.manifest;
  const manifest =
    m.kind === 'classifier'
      ? { ...m, decision: { ...(m.decision ?? {}), low: applied.low, high: applied.high } }
      : {
          ...m,
          anomaly: {
            ...m.anomaly!,
            imageThreshold: { value: applied.high, derivation: { method: `threshold version ${applied.id} (${applied.objective}, ${applied.evaluationId !== null ? `evaluation ${applied.evaluationId}` : 'reviewed history'})` } },
            pixelThreshold: m.anomaly!.pixelThreshold ?? m.anomaly!.imageThreshold,
          },
        };
  const value: CalibratedPack = {
    pack: { ...pack, manifest: manifest as typeof m },
    threshold: { source: 'applied', versionId: applied.id, low: applied.low, high: applied.high, unit: base.unit, objective: applied.objective, ...(applied.evaluationId !== null ? { evaluationId: applied.evaluationId } : {}) },
    validation,
  };
  copies.set(pack, { key, value });
  return value;
}
