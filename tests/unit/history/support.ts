import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { InferenceRecord } from '../../../src/core/history/index';

export function tempDir(prefix = 'inspector-history-'): { dir: string; file: string; cleanup(): void } {
  const dir = mkdtempSync(join(os.tmpdir(), prefix));
  return { dir, file: join(dir, 'inspector.sqlite'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A realistic inference record; `i` varies the case, image, verdict and score deterministically. */
export function sampleRecord(i: number, over: Partial<InferenceRecord> = {}): InferenceRecord {
  const score = ((i * 37) % 100) / 100;
  return {
    case: { key: `SN-${String(1000 + Math.floor(i / 2)).padStart(6, '0')}`, kind: 'part', line: 'L1', station: 'ST2', tags: ['demo'] },
    image: {
      sourcePath: `/samples/img_${i}.png`,
      sha256: i.toString(16).padStart(64, '0'),
      format: 'png',
      modality: 'xray',
      width: 384,
      height: 384,
      validation: { outcome: 'ok' },
    },
    pack: { name: 'chest', version: '1.0.0', fileHashes: { 'model.onnx': 'a'.repeat(64) } },
    provider: 'cpu',
    verdict: score >= 0.5 ? 'pneumonia' : 'normal',
    score,
    threshold: 0.5,
    probabilities: { normal: 1 - score, pneumonia: score },
    regions: score >= 0.5 ? [{ box: [10, 10, 40, 30], label: 'opacity', score }] : [],
    explanation: { method: 'gradcam', scale: { kind: 'threshold-anchored', threshold: 0.5 } },
    timings: { inferenceMs: 40 },
    configHash: 'c'.repeat(64),
    createdAt: Date.UTC(2025, 0, 1 + (i % 3), 10, 0, i % 60),
    ...over,
  };
}
