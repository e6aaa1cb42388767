import { useT } from '../i18n';
import { GroundingPanel } from './GroundingPanel';
import { ExplainPanel } from './ExplainPanel';
import { MaskPanel } from '../mask/MaskPanel';
import { useAppStore } from '../state/appStore';
import { useReviewStore } from '../state/reviewStore';
import { className } from './FindingsPanel';
import { layerKeys } from '../keyboard';
import { DEFAULT_LAYER, useViewerStore } from '../state/viewerStore';
import { COLORMAPS } from '../viewer/colormaps';
import type { ColormapName } from '../viewer/types';

/** Layer toggles and settings; each row names its shortcut digit. */
export function LayerPanel() {
  const t = useT();
  const pane = useViewerStore((s) => s.panes[0]);
  const scene = useViewerStore((s) => (pane ? s.scenes[pane.sceneId] : undefined));
  const layers = useViewerStore((s) => s.layers);
  const boxLayers = useViewerStore((s) => s.boxLayers);
  const activeLayer = useViewerStore((s) => s.activeLayer);
  const locale = useAppStore((s) => s.locale);
  // The class a map explains, by the pack's display name (en/ko), never its raw id.
  const findings = useReviewStore((s) => (pane ? s.findings[pane.sceneId] : undefined));
  const v = useViewerStore.getState();
  if (!scene) return null;
  const keys = layerKeys();
  return (
    <section className="layer-panel" aria-labelledby="layers-title" data-testid="layer-panel">
      <h2 id="layers-title" className="panel-title">
        {t('layers.title')}
      </h2>
      {scene.heatmaps.map((h) => {
        const s = layers[h.id] ?? DEFAULT_LAYER;
        const digit = keys.findIndex((k) => k.kind === 'heatmap' && k.id === h.id) + 1;
        return (
          <fieldset key={h.id} className={`layer${activeLayer === h.id ? ' active' : ''}`} data-testid={`layer-${h.id}`} onFocus={() => v.setActiveLayer(h.id)}>
            <legend>
              <label>
                <input type="checkbox" checked={s.visible} onChange={() => v.toggleLayer(h.id)} data-testid={`layer-toggle-${h.id}`} /> <kbd>{digit}</kbd> {h.method}
                {h.className ? ` · ${className(findings, h.className, locale)}` : ''}
              </label>
            </legend>
            <label className="row">
              {t('layer.opacity')}
              <input type="range" min={0} max={1} step={0.05} value={s.opacity} onChange={(e) => v.setLayer(h.id, { opacity: Number(e.target.value) })} data-testid={`layer-opacity-${h.id}`} />
              <output>{Math.round(s.opacity * 100)}%</output>
            </label>
            <label className="row">
              {t('layer.threshold')}
              <input type="range" min={0} max={1} step={0.01} value={s.threshold} onChange={(e) => v.setLayer(h.id, { threshold: Number(e.target.value) })} data-testid={`layer-threshold-${h.id}`} />
              <output>{s.threshold.toFixed(2)}</output>
            </label>
            <label className="row">
              {t('layer.colormap')}
              <select value={s.colormap} onChange={(e) => v.setLayer(h.id, { colormap: e.target.value as ColormapName })} data-testid={`layer-colormap-${h.id}`}>
                {COLORMAPS.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            </label>
            <label className="row">
              <input type="checkbox" checked={s.contour} onChange={() => v.setLayer(h.id, { contour: !s.contour })} data-testid={`layer-contour-${h.id}`} /> {t('layer.contour')}
            </label>
          </fieldset>
        );
      })}
      <MaskPanel />
      {(['region', 'detector', 'reviewer'] as const).map((src) => {
        const digit = keys.findIndex((k) => k.kind === 'boxes' && k.source === src) + 1;
        return (
          <label key={src} className="row box-toggle">
            <input type="checkbox" checked={boxLayers[src]} onChange={() => v.toggleBoxLayer(src)} data-testid={`boxes-toggle-${src}`} /> <kbd>{digit}</kbd> {t(`boxes.${src}`)}
          </label>
        );
      })}
      <GroundingPanel />
      <ExplainPanel />
    </section>
  );
}
