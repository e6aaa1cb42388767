/**
 * The viewer's display maths against the imaging core's, on the same frames: every stored value of
 * a 12-bit and a 16-bit range goes through the host's wire format (displayFrame → JSON → contract →
 * frameRef → frameDataOf) and the renderer's lookup table, and must give the grey level the core's
 * `toGrey8` gives — LINEAR, LINEAR_EXACT, SIGMOID, a VOI LUT table, a Modality LUT table, padding
 * and inversion. Identical, not "within one level".
 */
import { describe, expect, it } from 'vitest';
import { displayFrame } from '../../../src/core/imaging/display';
import { toGrey8 } from '../../../src/core/imaging/pixels';
import type { Frame, LookupTable, WindowSetting } from '../../../src/core/imaging/types';
import { frameDataOf } from '../../../src/renderer/src/review/loadCase';
import { frameRef } from '../../../src/renderer/src/review/sources';
import { renderFrame } from '../../../src/renderer/src/viewer/render';
import type { FrameData, PixelArray, WindowLevel } from '../../../src/renderer/src/viewer/types';
import { buildGreyLut, defaultWindow, dragWindow, frameStats, presetWindow, voiFunctionOf } from '../../../src/renderer/src/viewer/voi';
import { ImageFrame } from '../../../src/shared/contract';

/** Every value of a 16-bit unsigned range, as a 256×256 frame. */
const every16 = () => Uint16Array.from({ length: 65536 }, (_, i) => i);
/** Every value of a signed 12-bit range (−2048…2047), as a 64×64 frame. */
const every12 = () => Int16Array.from({ length: 4096 }, (_, i) => i - 2048);

function coreFrame(stored: Uint16Array | Int16Array | Float32Array, extra: Partial<Frame> = {}): Frame {
  const side = Math.sqrt(stored.length);
  return {
    index: 0,
    width: side,
    height: side,
    channels: 1,
    dtype: stored instanceof Uint16Array ? 'uint16' : stored instanceof Int16Array ? 'int16' : 'float32',
    stored,
    bitsStored: stored instanceof Uint16Array ? 16 : 12,
    photometric: 'MONOCHROME2',
    modality: { kind: 'rescale', slope: 1, intercept: 0 },
    windows: [],
    invert: false,
    ...extra,
  };
}

const typed: Record<string, (b: ArrayBuffer) => PixelArray> = {
  uint16: (b) => new Uint16Array(b),
  int16: (b) => new Int16Array(b),
  float32: (b) => new Float32Array(b),
};

/** The frame as the renderer gets it: through the host's wire format and the renderer's own loaders. */
function viaWire(f: Frame): FrameData {
  const { info, bytes } = displayFrame(f);
  const wire = ImageFrame.parse(JSON.parse(JSON.stringify({ ...info, mediaId: 'm' })));
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return frameDataOf(frameRef(wire), typed[wire.dtype]!(buf));
}

/** Grey level of every pixel through the renderer's table. */
function rendererGrey(f: FrameData, win: WindowLevel, invert: boolean): Uint8Array {
  const { lut, offset } = buildGreyLut(f, win, invert)!;
  return Uint8Array.from(f.data as ArrayLike<number>, (s) => lut[s - offset]! & 0xff);
}

/** Byte-identical grey levels; on a mismatch, names the first stored value that differs. */
function expectSame(got: Uint8Array, want: Uint8Array, stored: ArrayLike<number>, what = ''): void {
  if (Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength))) return;
  const i = got.findIndex((g, k) => g !== want[k]);
  expect({ what, stored: stored[i], got: got[i] }).toEqual({ what, stored: stored[i], got: want[i] });
}

const asRenderer = (w: WindowSetting): WindowLevel => ({ center: w.center, width: w.width, ...(w.function !== 'LINEAR' ? { function: w.function } : {}) });

const WINDOWS: WindowSetting[] = [
  { center: 2048, width: 4096, function: 'LINEAR' },
  { center: 127.5, width: 256, function: 'LINEAR' }, // exact halves: rounding after inversion matters
  { center: 1000.5, width: 1, function: 'LINEAR' },
  { center: 40, width: 400, function: 'LINEAR' },
  { center: 2048, width: 4096, function: 'LINEAR_EXACT' },
  { center: 1000, width: 3, function: 'LINEAR_EXACT' },
  { center: 30000, width: 20000, function: 'SIGMOID' },
  { center: -100, width: 50, function: 'SIGMOID' },
  { center: 300, width: 2000, function: 'SIGMOID' },
];

describe('renderer VOI = core toGrey8, every stored value', () => {
  const cases: [string, () => Frame][] = [
    ['16-bit unsigned, no rescale', () => coreFrame(every16())],
    ['16-bit unsigned, rescale 0.5 / −1024.25, padding', () => coreFrame(every16(), { modality: { kind: 'rescale', slope: 0.5, intercept: -1024.25 }, padding: { from: 0, to: 99 } })],
    ['12-bit signed CT (HU), MONOCHROME1', () => coreFrame(every12(), { modality: { kind: 'rescale', slope: 1, intercept: -1024 }, photometric: 'MONOCHROME1', invert: true })],
  ];
  for (const [name, make] of cases) {
    it(`${name}: LINEAR, LINEAR_EXACT, SIGMOID, both inversions`, () => {
      const core = make();
      const f = viaWire(core);
      let compared = 0;
      for (const w of WINDOWS) {
        for (const userInvert of [false, true]) {
          const invert = core.invert !== userInvert;
          const want = toGrey8({ ...core, invert }, w);
          const got = rendererGrey(f, asRenderer(w), invert);
          expect(got.length).toBe(want.length);
          expectSame(got, want, core.stored, `${w.function} c=${w.center} w=${w.width} invert=${invert}`);
          compared += got.length;
        }
      }
      expect(compared).toBe(core.stored.length * WINDOWS.length * 2);
    });
  }

  it('the file window function (SIGMOID) is the default and survives the wire', () => {
    const core = coreFrame(every12(), { modality: { kind: 'rescale', slope: 1, intercept: -1024 }, windows: [{ center: -600, width: 1500, function: 'SIGMOID', explanation: 'LUNG' }] });
    const f = viaWire(core);
    const win = defaultWindow(f, frameStats(f));
    expect(win).toEqual({ center: -600, width: 1500, function: 'SIGMOID' });
    expectSame(rendererGrey(f, win, false), toGrey8(core), core.stored);
    // Dragging moves centre/width of the active function; it stays a sigmoid.
    const dragged = dragWindow(win, 10, -5, frameStats(f));
    expect(dragged.function).toBe('SIGMOID');
    expectSame(rendererGrey(f, dragged, false), toGrey8(core, { center: dragged.center, width: dragged.width, function: 'SIGMOID' }), core.stored);
    // Presets are LINEAR windows, whatever the file's function.
    expect(voiFunctionOf(presetWindow('bone', f, frameStats(f)))).toBe('LINEAR');
  });

  it('a VOI LUT table without a window is the display; a drag leaves it for the linear window over its range', () => {
    // A 12-bit gamma-like table over 0…4095 with 16-bit output (as vlut_04 has), applied to every 16-bit value
    // (values outside the table clamp to its first/last entry, as the core's lookup does).
    const data = Uint16Array.from({ length: 4096 }, (_, i) => Math.round(65535 * (i / 4095) ** 0.6));
    const voiLut: LookupTable = { firstMapped: 0, bits: 16, data, explanation: 'GAMMA' };
    for (const invert of [false, true]) {
      const core = coreFrame(every16(), { voiLut, invert });
      const f = viaWire(core);
      expect(f.voiLut).toMatchObject({ firstMapped: 0, bits: 16, default: true, explanation: 'GAMMA' });
      const win = defaultWindow(f, frameStats(f));
      expect(voiFunctionOf(win, f)).toBe('VOI_LUT');
      expectSame(rendererGrey(f, win, invert), toGrey8(core), core.stored);
      const dragged = dragWindow(win, 0, 0, frameStats(f));
      expect(dragged).toEqual({ center: 2048, width: 4096 });
      expectSame(rendererGrey(f, dragged, invert), toGrey8(core, { center: 2048, width: 4096, function: 'LINEAR' }), core.stored);
    }
    // With a window in the file too, the window is the default (the core's rule) and the table is not used.
    const both = coreFrame(every16(), { voiLut, windows: [{ center: 500, width: 1000, function: 'LINEAR' }] });
    const fb = viaWire(both);
    expect(fb.voiLut?.default).toBe(false);
    expect(voiFunctionOf(defaultWindow(fb, frameStats(fb)), fb)).toBe('LINEAR');
    expectSame(rendererGrey(fb, defaultWindow(fb, frameStats(fb)), false), toGrey8(both), both.stored);
  });

  it('a Modality LUT table: stored values travel, the table maps them, every window function agrees', () => {
    // Non-monotonic on purpose (a table need not be a line), 12-bit signed input, first entry −2000.
    const data = Uint16Array.from({ length: 3000 }, (_, i) => (i * 37) % 4096);
    const core = coreFrame(every12(), { modality: { kind: 'lut', lut: { firstMapped: -2000, bits: 12, data } }, padding: { from: -2048, to: -2040 } });
    const f = viaWire(core);
    expect(f.dtype).toBe('int16');
    expect(f.modalityLut?.data.length).toBe(3000);
    expectSame(rendererGrey(f, defaultWindow(f, frameStats(f)), false), toGrey8(core), core.stored);
    for (const w of WINDOWS) {
      for (const invert of [false, true]) expectSame(rendererGrey(f, asRenderer(w), invert), toGrey8({ ...core, invert }, w), core.stored);
    }
    // Statistics are of real values (after the table), padding left out.
    const stats = frameStats({ ...f, range: undefined } as FrameData);
    expect([stats.min, stats.max]).toEqual([0, 4095]);
  });

  it('renderFrame at 1:1 draws exactly toGrey8, on the table path and the per-pixel float path', () => {
    const core16 = coreFrame(every16(), { windows: [{ center: 20000, width: 9000, function: 'SIGMOID' }] });
    const floats = Float32Array.from({ length: 64 * 64 }, (_, i) => Math.sin(i) * 700 + i * 0.01);
    const coreF = coreFrame(floats, { windows: [{ center: 10, width: 600, function: 'LINEAR_EXACT' }], invert: true });
    for (const core of [core16, coreF]) {
      const f = viaWire(core);
      const out = new Uint32Array(f.width * f.height);
      renderFrame(f, defaultWindow(f, frameStats(f)), f.invert, { scale: 1, x: 0, y: 0 }, out, f.width, f.height);
      expectSame(Uint8Array.from(out, (px) => px & 0xff), toGrey8(core), core.stored);
    }
  });
});
