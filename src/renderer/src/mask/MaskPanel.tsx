import { useT } from '../i18n';
import { useAppStore } from '../state/appStore';
import { useViewerStore } from '../state/viewerStore';
import { layerKeys } from '../keyboard';
import { useMaskStore } from './maskStore';
import { DEFAULT_MASK, type MaskClass } from './types';

export const maskClassName = (c: MaskClass, locale: 'en' | 'ko'): string => c.display?.[locale] ?? c.display?.en ?? c.label;

/** The mask layers of the shown case: on/off (digit), opacity, fill or outline, one toggle per class. */
export function MaskPanel() {
  const t = useT();
  const pane = useViewerStore((s) => s.panes[0]);
  const masks = useMaskStore((s) => (pane ? s.masks[pane.sceneId] : undefined));
  const settings = useMaskStore((s) => s.settings);
  const locale = useAppStore((s) => s.locale);
  const unrecorded = useMaskStore((s) => (pane ? s.unrecorded[pane.sceneId] : undefined));
  if (!masks?.length)
    return unrecorded ? (
      <p className="muted mask-unrecorded" data-testid="mask-unrecorded">
        {t('mask.notRecorded')} <span className="muted">{unrecorded}</span>
      </p>
    ) : null;
  const keys = layerKeys();
  const m = useMaskStore.getState();
  return (
    <>
      {masks.map((mask) => {
        const s = settings[mask.id] ?? DEFAULT_MASK;
        const digit = keys.findIndex((k) => k.kind === 'mask' && k.id === mask.id) + 1;
        return (
          <fieldset key={mask.id} className="layer mask-layer" data-testid={`mask-${mask.id}`}>
            <legend>
              <label>
                <input type="checkbox" checked={s.visible} onChange={() => m.toggle(mask.id)} data-testid="mask-toggle" /> <kbd>{digit}</kbd> {t('mask.title')}{' '}
                <span className="muted">{mask.source}</span>
              </label>
            </legend>
            <label className="row">
              {t('layer.opacity')}
              <input type="range" min={0} max={1} step={0.05} value={s.opacity} onChange={(e) => m.set(mask.id, { opacity: Number(e.target.value) })} data-testid="mask-opacity" />
              <output>{Math.round(s.opacity * 100)}%</output>
            </label>
            <label className="row">
              <input type="checkbox" checked={s.outline} onChange={() => m.set(mask.id, { outline: !s.outline })} data-testid="mask-outline" /> {t('mask.outline')}
            </label>
            <ul className="mask-classes" aria-label={t('mask.classes')}>
              {mask.classes
                .filter((c) => !c.background)
                .map((c) => (
                  <li key={c.label}>
                    <label className="row">
                      <input type="checkbox" checked={!s.hidden.includes(c.label)} onChange={() => m.toggleClass(mask.id, c.label)} data-testid={`mask-class-${c.label}`} />
                      <span className="legend-swatch mask-swatch" style={{ background: c.colour }} aria-hidden="true" /> {maskClassName(c, locale)}
                    </label>
                  </li>
                ))}
            </ul>
          </fieldset>
        );
      })}
    </>
  );
}

/** The legend's lines for the visible mask layers: class colour, name, fill/outline and opacity. */
export function MaskLegend() {
  const t = useT();
  const pane = useViewerStore((s) => s.panes[0]);
  const masks = useMaskStore((s) => (pane ? s.masks[pane.sceneId] : undefined));
  const settings = useMaskStore((s) => s.settings);
  const locale = useAppStore((s) => s.locale);
  const shown = (masks ?? []).filter((x) => (settings[x.id] ?? DEFAULT_MASK).visible);
  if (!shown.length) return null;
  return (
    <>
      {shown.map((mask) => {
        const s = settings[mask.id] ?? DEFAULT_MASK;
        return (
          <div key={mask.id} className="legend-item" data-testid={`legend-mask-${mask.id}`}>
            <div className="legend-name">
              <strong>{t('mask.title')}</strong> <span className="muted">{mask.source}</span>
            </div>
            <ul className="legend-boxes">
              {mask.classes
                .filter((c) => !c.background && !s.hidden.includes(c.label))
                .map((c) => (
                  <li key={c.label}>
                    <span className="legend-swatch mask-swatch" style={{ background: c.colour }} aria-hidden="true" /> {maskClassName(c, locale)}
                  </li>
                ))}
            </ul>
            <div className="legend-meta">
              {s.outline ? t('mask.outline') : t('layer.fill')} · {Math.round(s.opacity * 100)}%
            </div>
          </div>
        );
      })}
    </>
  );
}
