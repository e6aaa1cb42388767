import { beforeEach, describe, expect, it } from 'vitest';
import { decimateFrame } from '../../../src/core/imaging/preview';
import { frameDataOf } from '../../../src/renderer/src/review/loadCase';
import type { FrameRef } from '../../../src/renderer/src/review/types';
import { statsOf, useViewerStore } from '../../../src/renderer/src/state/viewerStore';
import { realValueAt, renderFrame } from '../../../src/renderer/src/viewer/render';
import type { FrameData, Scene } from '../../../src/renderer/src/viewer/types';
import { fitViewport } from '../../../src/renderer/src/viewer/viewport';
import { defaultWindow, presetWindow } from '../../../src/renderer/src/viewer/voi';

// A 12-bit CT-like frame with a fine checker (odd pixels differ), as the host would publish it.
const W = 301;
const H = 203;
const full = new Uint16Array(W * H);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) full[y * W + x] = 1000 + ((x * 13 + y * 7) % 2000) + ((x + y) % 2) * 900;
const ref: FrameRef = { mediaId: 'm', width: W, height: H, channels: 1, dtype: 'uint16', slope: 1, intercept: -1024, windows: [{ center: 400, width: 1800 }], min: -24, max: 2875 };
const pv = decimateFrame(new Uint8Array(full.buffer), 'uint16', W, H, 1, 2);
const previewFrame: FrameData = { ...frameDataOf(ref, new Uint16Array(pv.bytes.buffer)), step: 2 };
const fullFrame: FrameData = frameDataOf(ref, full);

const draw = (f: FrameData, vp = fitViewport(W, H, 150, 100), w = 150, h = 100) => {
  const out = new Uint32Array(w * h);
  renderFrame(f, defaultWindow(f, statsOf(f)), false, vp, out, w, h);
  return out;
};

describe('progressive preview in the viewer', () => {
  beforeEach(() => useViewerStore.setState({ scenes: {}, panes: [], activePane: 0, layers: {} }));

  it('windows the preview through the same table: each screen pixel is the grey of the image pixel its preview sample holds', () => {
    expect(defaultWindow(previewFrame, statsOf(previewFrame))).toEqual(defaultWindow(fullFrame, statsOf(fullFrame)));
    // The full frame with every pixel replaced by the top-left pixel of its step×step block draws identically.
    const blocky = new Uint16Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) blocky[y * W + x] = full[(y - (y % 2)) * W + (x - (x % 2))]!;
    for (const vp of [fitViewport(W, H, 150, 100), { scale: 3.7, x: -200, y: -90 }]) {
      expect(draw(previewFrame, vp)).toEqual(draw({ ...fullFrame, data: blocky }, vp));
    }
    // Zoomed in, the preview is visibly coarser than the frame it stands for.
    const zoomed = { scale: 4, x: -40, y: -40 };
    expect(draw(previewFrame, zoomed)).not.toEqual(draw(fullFrame, zoomed));
  });

  it('shows no readout value from a preview (it is not the pixel under the cursor)', () => {
    expect(realValueAt(previewFrame, 3, 0)).toBeUndefined();
    expect(realValueAt(fullFrame, 3, 0)).toBe(full[3]! - 1024);
  });

  it('replaces the preview with the full frames in place: viewport, dragged window and results stay', () => {
    const scene: Scene = { id: 'c', title: 'c', frames: [previewFrame], heatmaps: [], boxes: [] };
    const s = useViewerStore.getState();
    s.showScene(scene);
    const vp = { scale: 2, x: -10, y: -20 };
    s.setViewport(vp, 0);
    s.setWindow({ center: 123, width: 456 }, 0);
    s.addResults('c', [], [{ id: 'r', source: 'region', label: 'pore', origin: 'cam', rect: { x: 1, y: 1, width: 2, height: 2 } }]);
    s.replaceFrames('c', [fullFrame]);
    const after = useViewerStore.getState();
    expect(after.scenes['c']!.frames).toEqual([fullFrame]);
    expect(after.scenes['c']!.boxes.map((b) => b.id)).toEqual(['r']);
    expect(after.panes[0]).toMatchObject({ viewport: vp, window: { center: 123, width: 456 } });
    // Once full, a late duplicate does nothing.
    s.replaceFrames('c', [previewFrame]);
    expect(useViewerStore.getState().scenes['c']!.frames[0]).toBe(fullFrame);
  });

  it('takes the auto window again from the full frame (a statistic of the pixels)', () => {
    const s = useViewerStore.getState();
    s.showScene({ id: 'a', title: 'a', frames: [previewFrame], heatmaps: [], boxes: [] });
    s.applyPreset('auto');
    s.replaceFrames('a', [fullFrame]);
    expect(useViewerStore.getState().panes[0]!.window).toEqual(presetWindow('auto', fullFrame, statsOf(fullFrame)));
  });
});
