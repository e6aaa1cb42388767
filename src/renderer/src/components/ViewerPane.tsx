import type Konva from 'konva';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Group, Image as KImage, Layer, Rect, Stage } from 'react-konva';
import { useT } from '../i18n';
import { useAppStore } from '../state/appStore';
import { useReviewStore } from '../state/reviewStore';
import { statsOf, useViewerStore } from '../state/viewerStore';
import { newBoxId, rectFromCorners } from '../viewer/boxes';
import { GlWindowRenderer } from '../viewer/glWindow';
import { realValueAt, renderView, type LutCache } from '../viewer/render';
import type { BoxData, WindowLevel } from '../viewer/types';
import { fitViewport, panBy, toImage, zoomAt, type Viewport } from '../viewer/viewport';
import { dragWindow, voiFunctionOf } from '../viewer/voi';
import { BoxShapes, boxCaption } from './BoxShapes';
import { HeatmapShape } from './HeatmapShape';
import { MaskShape } from '../mask/MaskShape';
import { useMaskStore } from '../mask/maskStore';
import { DEFAULT_MASK } from '../mask/types';
import { CornerAnnotations } from './CornerAnnotations';
import { MeasurementShapes } from './MeasurementShapes';
import { useMeasureStore, type Measurement } from '../viewer/measurements';
import { className } from './FindingsPanel';

const EMPTY_BOXES: BoxData[] = [];

/**
 * Windowing runs on the CPU by default: with Chromium's software GL (SwiftShader) the WebGL path
 * measured 5× slower frame intervals than the display-resolution LUT (scripts/bench/render.ts).
 * `localStorage['inspector.renderer'] = 'webgl'` opts in where a real GPU backs WebGL.
 */
const preferGl = () => globalThis.localStorage?.getItem('inspector.renderer') === 'webgl';

function useSize<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(([entry]) => {
      if (entry) setSize({ width: Math.floor(entry.contentRect.width), height: Math.floor(entry.contentRect.height) });
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return { ref, size };
}

/**
 * Device pixels per CSS pixel, followed when the window moves to a screen with another scaling
 * (a `resolution` media query stops matching then).
 */
function useDevicePixelRatio(): number {
  const [dpr, setDpr] = useState(() => globalThis.devicePixelRatio || 1);
  useEffect(() => {
    const mq = matchMedia(`(resolution: ${dpr}dppx)`);
    const changed = () => setDpr(globalThis.devicePixelRatio || 1);
    mq.addEventListener('change', changed);
    return () => mq.removeEventListener('change', changed);
  }, [dpr]);
  return dpr;
}

type Gesture =
  | { kind: 'wl'; x: number; y: number; start: WindowLevel }
  | { kind: 'pan'; x: number; y: number; start: Viewport }
  | { kind: 'zoom'; x: number; y: number; start: Viewport }
  | { kind: 'box'; ix: number; iy: number }
  | { kind: 'measure'; tool: 'length' | 'roi' | 'ellipse'; ix: number; iy: number };

/** One konva viewport: windowed frame, heatmap layers, box layers, and the gestures over them. */
export function ViewerPane({ index }: { index: number }) {
  const t = useT();
  const { ref, size } = useSize<HTMLDivElement>();
  const pane = useViewerStore((s) => s.panes[index]);
  const scene = useViewerStore((s) => (pane ? s.scenes[pane.sceneId] : undefined));
  const layers = useViewerStore((s) => s.layers);
  const boxLayers = useViewerStore((s) => s.boxLayers);
  const hiddenOrigins = useViewerStore((s) => s.hiddenOrigins);
  const tool = useViewerStore((s) => s.tool);
  const selected = useViewerStore((s) => s.selectedBox);
  const focused = useViewerStore((s) => s.focusedBox);
  const fitToken = useViewerStore((s) => s.fitToken);
  const isActive = useViewerStore((s) => s.activePane === index);
  const paneCount = useViewerStore((s) => s.panes.length);
  const highContrast = useAppStore((s) => s.highContrast);
  const largeText = useAppStore((s) => s.largeText);
  const locale = useAppStore((s) => s.locale);
  const findings = useReviewStore((s) => (scene ? s.findings[scene.id] : undefined));
  const nameOf = useCallback((label: string) => className(findings, label, locale), [findings, locale]);
  const caseId = useReviewStore((s) => s.cases[s.current]?.id);
  const reviewerBoxes = useReviewStore((s) => (caseId && scene?.id === caseId ? (s.drafts[caseId]?.boxes ?? EMPTY_BOXES) : EMPTY_BOXES));
  const [hover, setHover] = useState<{ box: BoxData; x: number; y: number }>();
  const [readout, setReadout] = useState<string>('');
  const [draft, setDraft] = useState<BoxData['rect']>();
  const [measureDraft, setMeasureDraft] = useState<Pick<Measurement, 'kind' | 'a' | 'b'>>();
  const allMeasurements = useMeasureStore((s) => s.items);
  const gesture = useRef<Gesture | undefined>(undefined);

  const frame = scene?.frames[pane?.frameIndex ?? 0];
  // A new scene is drawn fitted in its first render; the fit is stored right after, not waited for.
  const fitted = useMemo(
    () => (frame && size.width > 0 && !pane?.viewport ? fitViewport(frame.width, frame.height, size.width, size.height) : undefined),
    [frame, size.width, size.height, pane?.viewport],
  );
  const vp = pane?.viewport ?? fitted;
  const fitSize = useRef('');
  useEffect(() => {
    if (!fitted) return;
    fitSize.current = `${size.width}x${size.height}`;
    useViewerStore.getState().setViewport(fitted, index, true);
  }, [fitted, index, fitToken, size.width, size.height]);
  // An automatic fit follows the pane's size (entering/leaving compare halves or doubles it).
  const autoFit = pane?.autoFit ?? false;
  useEffect(() => {
    const key = `${size.width}x${size.height}`;
    if (!autoFit || !frame || size.width === 0 || fitSize.current === key) return;
    fitSize.current = key;
    useViewerStore.getState().setViewport(fitViewport(frame.width, frame.height, size.width, size.height), index, true);
  }, [autoFit, frame, size.width, size.height, index]);

  // The windowed image: one canvas the size of the stage, redrawn synchronously on every change.
  const canvas = useMemo(() => document.createElement('canvas'), []);
  const imageData = useRef<ImageData | undefined>(undefined);
  const lutCache = useRef<LutCache>({});
  const imageNode = useRef<Konva.Image>(null);
  const glCanvas = useRef<HTMLCanvasElement>(null);
  const gl = useRef<GlWindowRenderer | null | undefined>(undefined);
  const cpuDrawn = useRef(false);
  const useGl = useMemo(preferGl, []);
  const interacting = useViewerStore((s) => s.interacting);
  const invert = frame ? frame.invert !== (pane?.userInvert ?? false) : false;
  const win = pane?.window;
  // Windowed at device resolution: on a 150 % or Retina screen one image pixel stays one block of
  // screen pixels, never resampled (and blurred) by the canvas on its way to the screen.
  const dpr = useDevicePixelRatio();
  useLayoutEffect(() => {
    if (!frame) {
      // Nothing to show (a case whose image failed): wipe what the last case left on both canvases.
      gl.current?.clear();
      canvas.getContext('2d')?.clearRect(0, 0, canvas.width, canvas.height);
      imageNode.current?.getLayer()?.draw();
      return;
    }
    if (!vp || size.width === 0 || !win) return;
    performance.mark('inspector:render:start');
    const deviceW = Math.round(size.width * dpr);
    const deviceH = Math.round(size.height * dpr);
    if (canvas.width !== deviceW || canvas.height !== deviceH || !imageData.current) {
      canvas.width = deviceW;
      canvas.height = deviceH;
      imageData.current = new ImageData(deviceW, deviceH);
    }
    if (gl.current === undefined) gl.current = (glCanvas.current && preferGl() && GlWindowRenderer.create(glCanvas.current)) || null;
    const id = imageData.current;
    if (gl.current?.supports(frame, win)) {
      gl.current.draw(frame, win, invert, vp, size.width, size.height);
      if (cpuDrawn.current) {
        canvas.getContext('2d')!.clearRect(0, 0, canvas.width, canvas.height);
        imageNode.current?.getLayer()?.draw();
        cpuDrawn.current = false;
      }
    } else {
      gl.current?.clear();
      const deviceVp = dpr === 1 ? vp : { scale: vp.scale * dpr, x: vp.x * dpr, y: vp.y * dpr };
      renderView(frame, win, invert, deviceVp, new Uint32Array(id.data.buffer), id.width, id.height, lutCache.current);
      canvas.getContext('2d')!.putImageData(id, 0, 0);
      imageNode.current?.getLayer()?.draw();
      cpuDrawn.current = true;
    }
    performance.mark('inspector:render:end');
    performance.measure('inspector:image', 'inspector:render:start', 'inspector:render:end');
  }, [frame, win, invert, vp, size.width, size.height, canvas, dpr]);

  const visibleMaps = useMemo(
    () => (scene?.heatmaps ?? []).filter((h) => (pane?.onlyHeatmap ? pane.onlyHeatmap === h.id : layers[h.id]?.visible)),
    [scene, layers, pane?.onlyHeatmap],
  );
  const sceneMasks = useMaskStore((s) => (pane ? s.masks[pane.sceneId] : undefined));
  const maskSettings = useMaskStore((s) => s.settings);
  // Comparing two maps side by side shows those maps only.
  const visibleMasks = pane?.onlyHeatmap ? [] : (sceneMasks ?? []).filter((m) => (maskSettings[m.id] ?? DEFAULT_MASK).visible);
  const boxes = useMemo(() => {
    const all = [...(scene?.boxes ?? []), ...reviewerBoxes];
    // Comparing two systems' maps, each pane shows its own system's region boxes (one system per pane).
    const only = pane?.onlyHeatmap ? scene?.heatmaps.find((h) => h.id === pane.onlyHeatmap)?.source : undefined;
    return all.filter((b) => boxLayers[b.source] && !hiddenOrigins[b.origin] && (!only || b.source !== 'region' || b.origin === only));
  }, [scene, reviewerBoxes, boxLayers, hiddenOrigins, pane?.onlyHeatmap]);

  const onSelect = useCallback((id: string | undefined) => useViewerStore.getState().selectBox(id), []);
  const onHover = useCallback((b: BoxData | undefined, at?: { x: number; y: number }) => setHover(b && at ? { box: b, ...at } : undefined), []);
  const onChange = useCallback(
    (id: string, rect: BoxData['rect']) => {
      if (caseId) useReviewStore.getState().updateBox(caseId, id, { rect });
    },
    [caseId],
  );

  const onMouseDown = (e: Konva.KonvaEventObject<MouseEvent>) => {
    if (!frame || !vp || !pane) return;
    const store = useViewerStore.getState();
    store.setActivePane(index);
    // Gestures on an editable box or the transformer belong to konva's own drag/resize.
    const target = e.target;
    if (target.hasName('box-editable') || target.getParent()?.className === 'Transformer') return;
    store.selectBox(undefined);
    const { offsetX: x, offsetY: y, button } = e.evt;
    e.evt.preventDefault();
    if (button === 1 || (button === 0 && tool === 'pan')) gesture.current = { kind: 'pan', x, y, start: vp };
    else if (button === 2) gesture.current = { kind: 'zoom', x, y, start: vp };
    if (gesture.current?.kind === 'pan' || gesture.current?.kind === 'zoom') store.setInteracting(true);
    else if (button === 0 && tool === 'box' && caseId && scene?.id === caseId) {
      const p = toImage(vp, x, y);
      gesture.current = { kind: 'box', ix: p.x, iy: p.y };
    } else if (button === 0 && (tool === 'length' || tool === 'roi' || tool === 'ellipse') && scene) {
      const p = toImage(vp, x, y);
      gesture.current = { kind: 'measure', tool, ix: p.x, iy: p.y };
    } else if (button === 0) gesture.current = { kind: 'wl', x, y, start: pane.window };
  };

  useEffect(() => {
    const move = (ev: MouseEvent) => {
      const g = gesture.current;
      const el = ref.current;
      if (!g || !el || !frame) return;
      const r = el.getBoundingClientRect();
      const x = ev.clientX - r.left;
      const y = ev.clientY - r.top;
      const store = useViewerStore.getState();
      const cur = store.panes[index]?.viewport;
      if (g.kind === 'wl') store.setWindow(dragWindow(g.start, x - g.x, y - g.y, statsOf(frame)), index);
      else if (g.kind === 'pan') store.setViewport(panBy(g.start, x - g.x, y - g.y), index);
      else if (g.kind === 'zoom') store.setViewport(zoomAt(g.start, Math.exp(-(y - g.y) / 200), g.x, g.y), index);
      else if (g.kind === 'box' && cur) {
        const p = toImage(cur, x, y);
        setDraft(rectFromCorners(g.ix, g.iy, p.x, p.y, frame.width, frame.height));
      } else if (g.kind === 'measure' && cur) {
        const p = toImage(cur, x, y);
        const clamp = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
        setMeasureDraft({ kind: g.tool, a: { x: g.ix, y: g.iy }, b: { x: clamp(p.x, frame.width), y: clamp(p.y, frame.height) } });
      }
    };
    const up = () => {
      const g = gesture.current;
      gesture.current = undefined;
      if (g?.kind === 'pan' || g?.kind === 'zoom') useViewerStore.getState().setInteracting(false);
      if (g?.kind === 'measure') {
        setMeasureDraft((d) => {
          const p = useViewerStore.getState().panes[index];
          if (d && p && Math.hypot(d.b.x - d.a.x, d.b.y - d.a.y) >= 1) useMeasureStore.getState().add({ ...d, sceneId: p.sceneId, frameIndex: p.frameIndex });
          return undefined;
        });
      }
      if (g?.kind === 'box') {
        setDraft((d) => {
          if (d && d.width >= 2 && d.height >= 2 && caseId) {
            const id = newBoxId();
            useReviewStore.getState().addBox(caseId, { id, source: 'reviewer', label: t('box.defaultLabel'), origin: useReviewStore.getState().reviewer || t('review.reviewer'), rect: d });
            useViewerStore.getState().selectBox(id);
          }
          return undefined;
        });
      }
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
    return () => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
    };
  }, [frame, index, ref, caseId, t]);

  const onWheel = (e: Konva.KonvaEventObject<WheelEvent>) => {
    e.evt.preventDefault();
    if (!vp) return;
    const store = useViewerStore.getState();
    if (e.evt.ctrlKey) store.setViewport(zoomAt(vp, e.evt.deltaY < 0 ? 1.15 : 1 / 1.15, e.evt.offsetX, e.evt.offsetY), index);
    else {
      store.setActivePane(index);
      store.stepFrame(e.evt.deltaY > 0 ? 1 : -1);
    }
  };

  const onPointerMove = (e: Konva.KonvaEventObject<MouseEvent>) => {
    if (!frame || !vp) return;
    const p = toImage(vp, e.evt.offsetX, e.evt.offsetY);
    const v = realValueAt(frame, p.x, p.y);
    // The image's own unit (HU only for CT rescaled to HU); without one the value is the raw stored value.
    setReadout(v === undefined ? '' : `x ${Math.floor(p.x)} y ${Math.floor(p.y)} · ${Number.isInteger(v) ? v : v.toFixed(3)} ${frame.unit ?? t('viewer.raw')}`);
  };
  // A value read on the previous case must not stay on screen over the next one.
  const sceneId = scene?.id;
  useEffect(() => setReadout(''), [sceneId, frame]);

  // Which VOI draws the image: a window function (centre/width apply) or the file's VOI LUT table.
  const voi = frame && pane ? voiFunctionOf(pane.window, frame) : 'LINEAR';
  const measurements = useMemo(() => (pane ? allMeasurements.filter((m) => m.sceneId === pane.sceneId && m.frameIndex === pane.frameIndex) : []), [allMeasurements, pane]);
  const view = vp && pane ? { scale: vp.scale, x: vp.x, y: vp.y, center: pane.window.center, width: pane.window.width, voi, frame: pane.frameIndex, invert } : undefined;
  return (
    <div
      className={`viewer-pane${isActive ? ' active' : ''}`}
      ref={ref}
      data-testid={`viewer-pane-${index}`}
      data-view={view ? JSON.stringify(view) : ''}
      tabIndex={0}
      role="img"
      aria-label={`${t('viewer.title')} ${index + 1}${scene ? `: ${scene.title}` : ''}`}
      onFocus={() => useViewerStore.getState().setActivePane(index)}
      onContextMenu={(e) => e.preventDefault()}
    >
      {/* Only when opted in: an idle full-pane canvas would still cost compositing on every frame. */}
      {useGl && <canvas ref={glCanvas} className="gl-image" style={{ width: size.width, height: size.height }} aria-hidden="true" />}
      {size.width > 0 && (
        <Stage className="konva-stage" width={size.width} height={size.height} onMouseDown={onMouseDown} onWheel={onWheel} onMouseMove={onPointerMove}>
          <Layer listening={false} name="image-layer" imageSmoothingEnabled={false}>
            <KImage ref={imageNode} image={canvas} x={0} y={0} width={size.width} height={size.height} />
          </Layer>
          {/* Heatmaps and boxes share one canvas over the image: a pan redraws and composites one
              layer, not two (first pan after opening a case: 3–18 dropped frames of 240 → 0–1).
              The layer exists before a case arrives: its first paint only fills it. While
              panning/zooming no hover or grab can happen: the hit canvas is not redrawn. */}
          <Layer name="overlay-layer" listening={!interacting}>
            {vp && frame && (
              <Group x={vp.x} y={vp.y} scaleX={vp.scale} scaleY={vp.scale} clipX={0} clipY={0} clipWidth={frame.width} clipHeight={frame.height} listening={false} name="heatmaps">
                {visibleMaps.map((h) => (
                  <HeatmapShape key={h.id} map={h} settings={layers[h.id]!} />
                ))}
                {visibleMasks.map((m) => (
                  <MaskShape key={m.id} mask={m} settings={maskSettings[m.id] ?? DEFAULT_MASK} highContrast={highContrast} />
                ))}
              </Group>
            )}
            {vp && frame && (
              <Group x={vp.x} y={vp.y} scaleX={vp.scale} scaleY={vp.scale} name="boxes">
                <BoxShapes
                  boxes={boxes}
                  scale={vp.scale}
                  imageW={frame.width}
                  imageH={frame.height}
                  selected={selected}
                  focused={focused}
                  highContrast={highContrast}
                  largeText={largeText}
                  nameOf={nameOf}
                  view={{ x0: -vp.x / vp.scale, y0: -vp.y / vp.scale, x1: (size.width - vp.x) / vp.scale, y1: (size.height - vp.y) / vp.scale }}
                  onSelect={onSelect} onHover={onHover} onChange={onChange} />
                <MeasurementShapes items={measureDraft ? [...measurements, { id: 'draft', ...measureDraft }] : measurements} frame={frame} scale={vp.scale} />
                {draft && <Rect x={draft.x} y={draft.y} width={draft.width} height={draft.height} stroke="#ff4fd8" dash={[2, 3]} strokeWidth={2} strokeScaleEnabled={false} listening={false} />}
              </Group>
            )}
          </Layer>
        </Stage>
      )}
      {!frame && (
        <div className="viewer-empty">
          <p>{t('viewer.empty')}</p>
          <p className="muted">{t('viewer.hint')}</p>
        </div>
      )}
      {frame && pane && vp && (
        <CornerAnnotations index={index} frame={frame} frameIndex={pane.frameIndex} count={scene?.frames.length ?? 1} window={pane.window} scale={vp.scale} measurements={measurements} />
      )}
      {frame && pane && paneCount > 1 && (
        <div className="pane-caption" data-testid={`pane-caption-${index}`}>
          {index + 1}: {scene?.title}
          {pane.onlyHeatmap ? ` · ${scene?.heatmaps.find((h) => h.id === pane.onlyHeatmap)?.method ?? ''}` : ''}
        </div>
      )}
      {frame && pane && (
        <div className="viewer-readout" aria-live="off" data-testid={`readout-${index}`}>
          <span data-testid={`voi-${index}`} data-voi={voi}>
            {voi === 'VOI_LUT' ? (
              <>
                {t('viewer.voiLut')}
                {frame.voiLut?.explanation ? ` “${frame.voiLut.explanation}”` : ''}
              </>
            ) : (
              <>
                {t('viewer.window')} {Math.round(pane.window.width)} / {t('viewer.level')} {Math.round(pane.window.center)}
                {voi !== 'LINEAR' ? ` · ${voi}` : ''}
              </>
            )}
            {pane.preset !== 'custom' ? ` (${t(`preset.${pane.preset}`)})` : ''}
            {invert ? ` · ${t('viewer.inverted')}` : ''}
          </span>
          <span>
            {t('viewer.frame')} {pane.frameIndex + 1}/{scene?.frames.length ?? 1} · {Math.round((vp?.scale ?? 1) * 100)}%
          </span>
          {readout && <span>{readout}</span>}
        </div>
      )}
      {hover && (
        <div className="box-tooltip" role="tooltip" data-testid="box-tooltip" style={{ left: hover.x + 12, top: hover.y + 12 }}>
          <strong>{hover.box.label}</strong>
          {hover.box.score !== undefined && (
            <span>
              {t('box.score')}: {hover.box.score.toFixed(3)}
            </span>
          )}
          <span>
            {t('box.source')}: {t(`boxes.${hover.box.source}`)} · {hover.box.origin}
          </span>
          <span className="muted">{boxCaption(hover.box, nameOf)}</span>
        </div>
      )}
    </div>
  );
}
