/** Renderer rules of the grounding review and the three systems, on plain records. */
import { describe, expect, it } from 'vitest';
import { boxCaption } from '../../../src/renderer/src/components/BoxShapes';
import { defaultSystemPacks, recordedSystemName, systemLabel } from '../../../src/renderer/src/review/systems';
import { replacedBy, useViewerStore } from '../../../src/renderer/src/state/viewerStore';
import type { BoxData, Scene } from '../../../src/renderer/src/viewer/types';

const box = (id: string, source: BoxData['source'], origin: string, extra: Partial<BoxData> = {}): BoxData => ({ id, source, label: 'short', score: 0.42, origin, rect: { x: 0, y: 0, width: 5, height: 5 }, ...extra });

describe('grounding review in the viewer', () => {
  it('a reviewed model box says accepted / rejected in text on its caption', () => {
    expect(boxCaption(box('a', 'detector', 'g@1'))).toBe('DET short 0.42');
    expect(boxCaption(box('a', 'detector', 'g@1', { decision: 'accept' }))).toBe('DET short 0.42 ✓');
    expect(boxCaption(box('a', 'region', 'c@1', { decision: 'reject' }))).toBe('REG short 0.42 ✕');
  });

  it("a new run replaces only its own pack's model boxes; reviewer boxes always stay", () => {
    const scene: Scene = {
      id: 's',
      title: 's',
      frames: [],
      heatmaps: [],
      boxes: [box('cam', 'region', 'cam@1'), box('det-old', 'detector', 'g@1'), box('mine', 'reviewer', 'me')],
    };
    useViewerStore.setState({ scenes: { s: scene } });
    useViewerStore.getState().addResults('s', [], [box('det-new', 'detector', 'g@1')], 'g@1');
    expect(useViewerStore.getState().scenes['s']!.boxes.map((b) => b.id)).toEqual(['cam', 'mine', 'det-new']);
    // Without an origin (older callers): region boxes are replaced, as before.
    expect([box('r', 'region', 'x'), box('d', 'detector', 'x'), box('v', 'reviewer', 'x')].map(replacedBy(undefined))).toEqual([true, false, false]);
    useViewerStore.getState().setBoxDecision('s', 'det-new', 'reject');
    expect(useViewerStore.getState().scenes['s']!.boxes.find((b) => b.id === 'det-new')!.decision).toBe('reject');
  });

  it('each system defaults to the first installed pack of its kind; a broken pack is never chosen', () => {
    const p = (name: string, kind: string, error = false) => ({ dir: `/m/${name}`, name, version: '1', kind, source: 'app' as const, ...(error ? { error: { code: 'PACK_INVALID', message: 'x' } } : {}) });
    expect(defaultSystemPacks([p('bad-cls', 'classifier', true), p('battery', 'classifier'), p('ae', 'anomaly'), p('seg', 'segmentation')])).toEqual({ classifier: 'battery', anomaly: 'ae', grounding: undefined });
  });

  it('the card labels the classifier by the method in English and Korean, never Grad-CAM for HiResCAM', () => {
    expect(recordedSystemName('classifier', 'hirescam')).toBe('HiResCAM');
    expect(recordedSystemName('classifier', 'gradcam')).toBe('Grad-CAM');
    expect(recordedSystemName('anomaly', 'autoencoder')).toBe('Anomaly');
    expect(recordedSystemName('grounding', undefined)).toBe('Grounding');
    expect(systemLabel('en', 'classifier', 'hirescam')).toBe('HiResCAM');
    expect(systemLabel('ko', 'classifier', 'hirescam')).toBe('HiResCAM');
    expect(systemLabel('en', 'classifier', undefined)).toBe('Classifier CAM');
    expect(systemLabel('ko', 'classifier', undefined)).toBe('분류기 CAM');
    expect(systemLabel('en', 'anomaly', 'autoencoder')).toBe('Anomaly');
    expect(systemLabel('ko', 'anomaly', 'autoencoder')).toBe('이상 영역');
    expect(systemLabel('ko', 'grounding', null)).toBe('그라운딩');
  });
});
