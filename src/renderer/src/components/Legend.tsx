import { useT } from '../i18n';
import { useViewerStore } from '../state/viewerStore';
import { COLOUR_BLIND_SAFE, colourAt } from '../viewer/colormaps';
import { rawAt } from '../viewer/heatmap';
import { BOX_STYLE, boxStroke } from './BoxShapes';
import { useAppStore } from '../state/appStore';
import type { BoxSource } from '../viewer/types';
import { MaskLegend } from '../mask/MaskPanel';
import { useMaskStore } from '../mask/maskStore';
import { TrustLine } from './TrustLine';

const fmt = (v: number) => (v === 0 ? '0' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : Math.abs(v) >= 0.01 ? v.toPrecision(3) : v.toExponential(2));

function gradient(name: Parameters<typeof colourAt>[0]): string {
  const stops = [];
  for (let i = 0; i <= 10; i++) stops.push(`rgb(${colourAt(name, i / 10).join(',')}) ${i * 10}%`);
  return `linear-gradient(to right, ${stops.join(', ')})`;
}

/** Which layers are on, their colour scale with its meaning, and the model that made each. */
export function Legend() {
  const t = useT();
  const pane = useViewerStore((s) => s.panes[0]);
  const scene = useViewerStore((s) => (pane ? s.scenes[pane.sceneId] : undefined));
  const layers = useViewerStore((s) => s.layers);
  const boxLayers = useViewerStore((s) => s.boxLayers);
  const open = useViewerStore((s) => s.legendOpen);
  const highContrast = useAppStore((s) => s.highContrast);
  const masksOn = useMaskStore((s) => (pane ? (s.masks[pane.sceneId] ?? []).some((m) => s.settings[m.id]?.visible ?? true) : false));
  if (!scene) return null;
  if (!open)
    return (
      <button type="button" className="legend legend-folded" onClick={() => useViewerStore.getState().toggleLegend()} data-testid="legend-open">
        <kbd>G</kbd> {t('legend.title')}
      </button>
    );
  const maps = scene.heatmaps.filter((h) => layers[h.id]?.visible);
  const sources = (['region', 'detector', 'reviewer'] as BoxSource[]).filter((s) => boxLayers[s]);
  return (
    <section className="legend" aria-label={t('legend.title')} data-testid="legend">
      <h3 className="legend-title">
        {t('legend.title')}{' '}
        <button type="button" className="legend-fold" onClick={() => useViewerStore.getState().toggleLegend()} aria-label={t('legend.hide')}>
          <kbd>G</kbd> ✕
        </button>
      </h3>
      {maps.length === 0 && !masksOn && <p className="muted">{t('legend.noHeatmaps')}</p>}
      {maps.map((h) => {
        const s = layers[h.id]!;
        return (
          <div key={h.id} className="legend-item" data-testid={`legend-${h.id}`}>
            <div className="legend-name">
              <strong>{h.method}</strong>
              {h.className ? ` · ${h.className}` : ''} <span className="muted">{h.source}</span>
            </div>
            <div className="legend-bar" style={{ backgroundImage: gradient(s.colormap) }} aria-hidden="true">
              <span className="legend-threshold" style={{ left: `${s.threshold * 100}%` }} />
            </div>
            {/* Min and max at the ends, the threshold on a line of its own: long numbers never run into each other. */}
            <div className="legend-scale">
              <span data-testid="legend-min">{fmt(h.scale.min)}</span>
              <span data-testid="legend-max">{fmt(h.scale.max)}</span>
            </div>
            <div className="legend-thr" data-testid="legend-threshold">
              ▲ {t('layer.threshold')} {fmt(rawAt(s.threshold, h.scale))}
            </div>
            <div className="legend-meta">
              {h.scale.kind === 'calibrated' ? t('legend.calibrated') : t('legend.perImage')} · {s.colormap}
              {COLOUR_BLIND_SAFE.has(s.colormap) ? ` (${t('legend.cbSafe')})` : ''} · {s.contour ? t('layer.contour') : t('layer.fill')} ·{' '}
              {Math.round(s.opacity * 100)}%
            </div>
            {h.trust && <TrustLine trust={h.trust} />}
          </div>
        );
      })}
      <MaskLegend />
      {sources.length > 0 && (
        <ul className="legend-boxes">
          {sources.map((src) => (
            <li key={src}>
              <span className={`legend-swatch swatch-${src}`} style={{ borderTopColor: boxStroke(src, highContrast) }} aria-hidden="true" data-testid={`swatch-${src}`} /> {BOX_STYLE[src].tag} ·{' '}
              {t(`boxes.${src}`)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
