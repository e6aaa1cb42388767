/** A small, valid inference record for fleet tests that need many rows without running a model. */
import type { InferenceRecord } from '../../../src/core/history/index';

export function syntheticRun(i: number, o: { station: string; key?: string; line?: string; createdAt?: number }): InferenceRecord {
  return {
    case: { key: o.key ?? `${o.station}-${i}`, kind: 'part', line: o.line ?? 'L1', station: o.station },
    image: { sourcePath: `/data/${i}.png`, sha256: i.toString(16).padStart(64, '0'), format: 'png', modality: 'xray', width: 64, height: 64, validation: { outcome: 'ok' } },
    pack: { name: 'battery-ct-porosity', version: '1.0.0', fileHashes: { 'model.onnx': 'f'.repeat(64) } },
    provider: 'cpu',
    verdict: 'normal',
    score: 0.1,
    threshold: 0.5,
    probabilities: { normal: 0.9, porosity: 0.1 },
    regions: [],
    explanation: null,
    timings: { inferenceMs: 1 },
    configHash: null,
    ...(o.createdAt !== undefined ? { createdAt: o.createdAt } : {}),
  } as InferenceRecord;
}
