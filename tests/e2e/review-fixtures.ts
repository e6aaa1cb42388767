/** Two review cases built from known pixels and maps, published in the real host's media store. */
import type { Bridge } from '../support/bridge';
import { publish, type CaseRef } from './viewer-helpers';

export const IMG_W = 400;
export const IMG_H = 300;

/** Horizontal 16-bit ramp 0…4000 (so the grey under any point is known from x alone). */
export function ramp(): Uint16Array {
  const a = new Uint16Array(IMG_W * IMG_H);
  for (let y = 0; y < IMG_H; y++) for (let x = 0; x < IMG_W; x++) a[y * IMG_W + x] = Math.round((x / (IMG_W - 1)) * 4000);
  return a;
}

/** A map that is 1 inside the image-space square [150,250)×[100,200) and 0 elsewhere (16×16 grid over the image). */
export function squareMap(): Float32Array {
  const m = new Float32Array(16 * 12);
  for (let y = 0; y < 12; y++) for (let x = 0; x < 16; x++) m[y * 16 + x] = x >= 6 && x < 10 && y >= 4 && y < 8 ? 1 : 0;
  return m;
}

export const findings = {
  verdict: 'internal',
  probabilities: [
    { label: 'pass', displayName: { en: 'Pass', ko: '합격' }, p: 0.08 },
    { label: 'internal', displayName: { en: 'Internal defect', ko: '내부 결함' }, p: 0.83 },
    { label: 'external', displayName: { en: 'External defect', ko: '외부 결함' }, p: 0.09 },
  ],
  integrated: { verdict: 'internal', displayName: { en: 'Internal defect', ko: '내부 결함' }, drivers: ['ct-porosity: internal 0.83 ≥ 0.5'] },
  models: [
    { pack: 'ct-porosity', version: '1.0.0', task: 'classification', displayName: { en: 'CT porosity classifier', ko: 'CT 기공 분류기' }, intendedUse: { en: 'Battery CT slices.', ko: '배터리 CT 단면.' } },
  ],
};

export function reviewCases(b: Bridge): CaseRef[] {
  const pixels = publish(b, ramp());
  const cam = publish(b, squareMap());
  const anomaly = publish(b, squareMap().map((v) => v * 0.6));
  const mk = (id: string, title: string): CaseRef => ({
    id,
    title,
    origin: 'test',
    frames: [{ mediaId: pixels, width: IMG_W, height: IMG_H, channels: 1, dtype: 'uint16', windows: [{ center: 2000, width: 4001 }] }],
    heatmaps: [
      { mediaId: cam, id: `${id}-cam`, kind: 'gradcam', method: 'Grad-CAM', source: 'ct-porosity@1.0.0', className: 'internal', width: 16, height: 12, covers: { x: 0, y: 0, width: IMG_W, height: IMG_H }, scale: { min: 0, max: 1, kind: 'calibrated' } },
      { mediaId: anomaly, id: `${id}-anomaly`, kind: 'anomaly', method: 'Autoencoder', source: 'rgb-surface@1.0.0', width: 16, height: 12, covers: { x: 0, y: 0, width: IMG_W, height: IMG_H }, scale: { min: 0, max: 1, kind: 'per-image' } },
    ],
    boxes: [
      { id: `${id}-reg`, source: 'region', label: 'internal', score: 0.83, origin: 'ct-porosity@1.0.0', rect: { x: 150, y: 100, width: 100, height: 100 } },
      { id: `${id}-det`, source: 'detector', label: 'void', score: 0.71, origin: 'vlg@0.1', rect: { x: 40, y: 40, width: 60, height: 50 } },
    ],
    findings,
  });
  return [mk('case-a', 'Cell A · slice 12'), mk('case-b', 'Cell B · slice 7')];
}
