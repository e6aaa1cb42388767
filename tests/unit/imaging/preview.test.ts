import { describe, expect, it } from 'vitest';
import { decimateFrame, previewStep } from '../../../src/core/imaging/preview';
import { MediaStore } from '../../../src/host/media';
import { publishFrame, publishPreview } from '../../../src/host/publishFrame';

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe('progressive preview: decimated stored values', () => {
  it('steps so the long side stays at least 1024 px, none below 2048', () => {
    expect(previewStep(2048, 2048)).toBe(2);
    expect(previewStep(2047, 2047)).toBe(1);
    expect(previewStep(3072, 1000)).toBe(3);
    expect(previewStep(4096, 4096)).toBe(4);
    expect(previewStep(512, 512)).toBe(1);
  });

  it('keeps every step-th value of every step-th row, odd sizes rounded up, values untouched', () => {
    const w = 1031;
    const h = 517;
    const full = new Int16Array(w * h);
    for (let i = 0; i < full.length; i++) full[i] = ((i * 7919) % 65536) - 32768;
    const p = decimateFrame(bytesOf(full), 'int16', w, h, 1, 2);
    expect([p.width, p.height, p.step]).toEqual([516, 259, 2]);
    const got = new Int16Array(p.bytes.buffer, p.bytes.byteOffset, p.width * p.height);
    let differing = 0;
    for (let y = 0; y < p.height; y++) for (let x = 0; x < p.width; x++) if (got[y * p.width + x] !== full[y * 2 * w + x * 2]) differing++;
    expect(differing).toBe(0);
    expect([got[0], got[1], got[p.width]]).toEqual([full[0], full[2], full[2 * w]]);
    expect(got[p.width * p.height - 1]).toBe(full[(h - 1) * w + (w - 1)]);
  });

  it('moves whole pixels for RGB bytes, float32 and float64 (bit patterns kept)', () => {
    const w = 9;
    const h = 7;
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 31) % 256);
    const p = decimateFrame(rgb, 'uint8', w, h, 3, 3);
    expect([p.width, p.height]).toEqual([3, 3]);
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) for (let c = 0; c < 3; c++) expect(p.bytes[(y * 3 + x) * 3 + c]).toBe(rgb[(y * 3 * w + x * 3) * 3 + c]);
    const f64 = Float64Array.from({ length: w * h }, (_, i) => (i % 5 === 0 ? NaN : i / 3 - 4));
    const q = decimateFrame(bytesOf(f64), 'float64', w, h, 1, 2);
    const qv = new Float64Array(q.bytes.buffer);
    for (let y = 0; y < q.height; y++) for (let x = 0; x < q.width; x++) expect(Object.is(qv[y * q.width + x], f64[y * 2 * w + x * 2])).toBe(true);
    const f32 = Float32Array.from({ length: w * h }, (_, i) => -i * 1.5);
    const r = decimateFrame(bytesOf(f32), 'float32', w, h, 1, 4);
    expect(Array.from(new Float32Array(r.bytes.buffer))).toEqual([0, 4, 8, 4 * w, 4 * w + 4, 4 * w + 8].map((i) => -i * 1.5));
  });

  it('the host publishes a preview for the frame a case opens on, when it is large', () => {
    const media = new MediaStore();
    const n = 2048;
    const px = Uint16Array.from({ length: n * n }, (_, i) => i % 4096);
    const pv = publishPreview(media, bytesOf(px), 'uint16', n, n, 1)!;
    expect(pv).toMatchObject({ step: 2, width: 1024, height: 1024 });
    const entry = media.get(pv.mediaId)!;
    expect(entry.bytes.byteLength).toBe(1024 * 1024 * 2);
    expect(entry.contentType).toContain('step=2');
    const stored = new Uint16Array(entry.bytes.buffer, entry.bytes.byteOffset, 1024 * 1024);
    expect(stored[1024 + 3]).toBe(px[2 * n + 6]);
    expect(publishPreview(media, bytesOf(new Uint16Array(512 * 512)), 'uint16', 512, 512, 1)).toBeUndefined();

    const info = { index: 0, width: n, height: n, channels: 1 as const, dtype: 'uint16' as const, bitsStored: 12, photometric: 'MONOCHROME2', slope: 1, intercept: 0, invert: false, windows: [], pixelSpacing: null, min: 0, max: 4095, contentType: 'x' };
    expect(publishFrame(media, { info, bytes: bytesOf(px) }, true).preview).toMatchObject({ step: 2 });
    expect(publishFrame(media, { info, bytes: bytesOf(px) }, false).preview).toBeUndefined();
  });
});
