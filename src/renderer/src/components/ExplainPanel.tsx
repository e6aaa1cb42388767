import { useEffect, useState } from 'react';
import { useT } from '../i18n';
import { layerLabel, rerunExplanation, useExplainStore } from '../review/explainChoice';
import { useReviewStore } from '../state/reviewStore';
import { EXPLAIN_METHODS } from '../../../shared/inspect';

/**
 * With a classifier's map: which method and layer(s) it was made with, and a form to re-run the
 * case's pack with another method, target layer or fusion (the new run is recorded with them).
 */
export function ExplainPanel() {
  const t = useT();
  const c = useReviewStore((s) => s.cases[s.current]);
  const info = useExplainStore((s) => (c ? s.info[c.id] : undefined));
  const busy = useExplainStore((s) => (c ? !!s.busy[c.id] : false));
  const [method, setMethod] = useState('');
  const [layer, setLayer] = useState('');
  const [fuse, setFuse] = useState<string[]>([]);
  // The form starts from what the map on screen was made with, and follows each new run.
  useEffect(() => {
    if (!info) return;
    setMethod(info.method);
    setLayer(info.layers[0] ?? info.target);
    setFuse(info.layers.length > 1 ? info.layers : []);
  }, [info]);
  if (!c || !info) return null;
  const toggle = (l: string) => setFuse((f) => (f.includes(l) ? f.filter((x) => x !== l) : [...f, l]));
  return (
    <section className="grounding-panel" aria-labelledby="explain-title" data-testid="explain-panel">
      <h3 id="explain-title" className="card-title">
        {t('explain.title')} <span className="muted">{info.pack}</span>
      </h3>
      <p className="grounding-used muted" data-testid="explain-used">
        {info.method} · {info.layers.map(layerLabel).join(' + ')}
        {info.fallbackReason ? ` · ${info.fallbackReason}` : ''}
      </p>
      <form
        className="grounding-edit"
        onSubmit={(e) => {
          e.preventDefault();
          if (!busy && layer) void rerunExplanation(c, { method, layer, fuse });
        }}
      >
        <label className="note-label">
          <span>{t('explain.method')}</span>
          <select value={method} onChange={(e) => setMethod(e.target.value)} data-testid="explain-method">
            {EXPLAIN_METHODS.filter((m) => m !== 'none').map((m) => (
              <option key={m} value={m}>{m}</option>
            ))}
          </select>
        </label>
        <label className="note-label">
          <span>{t('explain.layer')}</span>
          <select value={layer} onChange={(e) => setLayer(e.target.value)} data-testid="explain-layer" title={layer}>
            {info.candidates.map((l) => (
              <option key={l} value={l} title={l}>{layerLabel(l)}</option>
            ))}
          </select>
        </label>
        <fieldset className="explain-fuse" style={{ maxHeight: 180, overflowY: 'auto' }}>
          <legend>{t('explain.fuse')}</legend>
          {info.candidates.filter((l) => l !== layer).map((l) => (
            <label key={l} className="row" title={l}>
              <input type="checkbox" checked={fuse.includes(l)} onChange={() => toggle(l)} data-testid={`explain-fuse-${layerLabel(l)}`} /> {layerLabel(l)}
            </label>
          ))}
        </fieldset>
        <button type="submit" disabled={busy || !c.path || !layer} data-testid="explain-rerun">
          {busy ? t('grounding.running') : t('explain.rerun')}
        </button>
      </form>
    </section>
  );
}
