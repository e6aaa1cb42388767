/**
 * Runs a segmentation pack on a batch: the engine's own preprocessing (so masks match what
 * `pack create` calibrated), one session per pack, then `segment` per image. The decision: a
 * defect when any defect class has a region (≥ minArea model pixels), else pass; the driving
 * label is the class with the largest area.
 */
import * as ort from 'onnxruntime-node';
import { InspectorError, toErrorInfo, type ErrorInfo } from '../../shared/errors';
import type { EngineImage } from '../engine/image';
import { batchInput } from '../engine/preprocess';
import { createSession, type ProviderAttempt, type SessionCache, type SessionSettings } from '../engine/session';
import type { LoadedPack } from '../packs/load';
import { isExclusive, segment, type SegmentationOutput, type SegmentationSpec } from './segment';

export interface SegmentationResult extends Omit<SegmentationOutput, 'probabilities'> {
  decision: 'pass' | 'defect';
  drivingLabel?: string;
  /** Class colours and names, for the mask layer and the legend. */
  classes: { label: string; colour: string; background: boolean }[];
  /**
   * What decided: each defect class's pixel probability cut and the smallest region (model pixels)
   * that counts — recorded with the run, so history and reports state the threshold in force.
   */
  decidedBy?: { rule: 'threshold' | 'argmax'; pixelThresholds: Record<string, number>; minArea: number };
  error?: ErrorInfo;
}

export interface SegmentationRun {
  provider: string;
  providerAttempts: ProviderAttempt[];
  results: SegmentationResult[];
  timings: { preprocessMs: number; inferenceMs: number; postprocessMs: number };
}

export function segmentationSpec(pack: LoadedPack): SegmentationSpec {
  const s = pack.manifest.segmentation;
  if (!s) throw new InspectorError('PACK_MANIFEST_INVALID', `${pack.manifest.name} has no segmentation section.`);
  return { activation: s.activation, ...(s.exclusive !== undefined ? { exclusive: s.exclusive } : {}), classes: s.classes, minArea: s.minArea };
}

/**
 * The cuts in force. Independent (sigmoid) channels: each defect class's pixel threshold. Exclusive
 * channels: a pixel is its arg-max class and no threshold applies, so none is recorded (a stated
 * 0.5 would be a cut that never decided anything).
 */
function decidedBy(spec: SegmentationSpec): NonNullable<SegmentationResult['decidedBy']> {
  const exclusive = isExclusive(spec);
  const pixelThresholds = exclusive ? {} : Object.fromEntries(spec.classes.filter((c) => !c.background).map((c) => [c.label, c.threshold]));
  return { rule: exclusive ? 'argmax' : 'threshold', pixelThresholds, minArea: spec.minArea };
}

export async function runSegmentation(pack: LoadedPack, images: readonly EngineImage[], opts: { cache: SessionCache; settings: SessionSettings }): Promise<SegmentationRun> {
  const m = pack.manifest;
  const spec = segmentationSpec(pack);
  const es = await opts.cache.get(`${pack.manifestSha256}:plain:${(opts.settings.providers ?? []).join(',')}`, () => createSession(pack.model, opts.settings));
  const t0 = performance.now();
  const { data, dims } = batchInput(images, m.input);
  const t1 = performance.now();
  const outSpec = m.outputs.find((o) => o.meaning === 'logits' || o.meaning === 'probabilities')!;
  const out = await es.session.run({ [m.input.name]: new ort.Tensor('float32', data, dims) });
  const t2 = performance.now();
  const t = out[outSpec.name];
  if (!t) throw new InspectorError('SEGMENTATION_BAD_OUTPUT', `The model has no output "${outSpec.name}".`);
  const [b, c, h, w] = t.dims as number[];
  const per = c! * h! * w!;
  const results = images.map((img, i): SegmentationResult => {
    try {
      if (b !== images.length) throw new InspectorError('SEGMENTATION_BAD_OUTPUT', `The model returned ${b} maps for ${images.length} images.`);
      const view = (t.data as Float32Array).subarray(i * per, (i + 1) * per);
      const r = segment(view, [1, c!, h!, w!], spec, { sourceSize: [img.width, img.height], pixelSpacing: m.segmentation!.pixelSpacing ?? null });
      const { probabilities: _p, ...rest } = r;
      const top = Object.entries(r.areas).filter(([label]) => r.regions.some((g) => g.label === label)).sort((x, y) => y[1].areaPx - x[1].areaPx)[0];
      return { ...rest, decision: r.regions.length ? 'defect' : 'pass', ...(top ? { drivingLabel: top[0] } : {}), classes: spec.classes.map(({ label, colour, background }) => ({ label, colour, background })), decidedBy: decidedBy(spec) };
    } catch (e) {
      return { mask: new Uint8Array(0), width: 0, height: 0, areas: {}, regions: [], score: 0, decision: 'pass', classes: [], error: toErrorInfo(e) };
    }
  });
  const t3 = performance.now();
  return { provider: es.provider, providerAttempts: es.attempts, results, timings: { preprocessMs: t1 - t0, inferenceMs: t2 - t1, postprocessMs: t3 - t2 } };
}
