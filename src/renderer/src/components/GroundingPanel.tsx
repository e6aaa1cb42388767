import { useEffect, useState } from 'react';
import { useT } from '../i18n';
import { rerunGrounding, useGroundingStore } from '../review/grounding';
import { useReviewStore } from '../state/reviewStore';

/**
 * With the DET layer: the prompt and thresholds the case's grounding boxes came from, and an edit
 * form to re-run the pack with other ones (the new run records what was used).
 */
export function GroundingPanel() {
  const t = useT();
  const c = useReviewStore((s) => s.cases[s.current]);
  const info = useGroundingStore((s) => (c ? s.info[c.id] : undefined));
  const busy = useGroundingStore((s) => (c ? !!s.busy[c.id] : false));
  const [prompt, setPrompt] = useState('');
  const [box, setBox] = useState(0.35);
  const [text, setText] = useState(0.25);
  // The form starts from what the last run used, and follows each new run.
  useEffect(() => {
    if (!info) return;
    setPrompt(info.prompt);
    setBox(info.boxThreshold);
    setText(info.textThreshold);
  }, [info]);
  if (!c || !info) return null;
  const valid = prompt.trim().length > 0 && !/[\\/]/.test(prompt) && box >= 0 && box <= 1 && text >= 0 && text <= 1;
  return (
    <section className="grounding-panel" aria-labelledby="grounding-title" data-testid="grounding-panel">
      <h3 id="grounding-title" className="card-title">
        {t('grounding.title')} <span className="muted">{info.pack}@{info.version}</span>
      </h3>
      <p className="grounding-used" data-testid="grounding-used">
        <span data-testid="grounding-prompt">“{info.prompt}”</span>
        <br />
        <span className="muted" data-testid="grounding-thresholds">
          {t('grounding.boxThreshold')} {info.boxThreshold.toFixed(2)} · {t('grounding.textThreshold')} {info.textThreshold.toFixed(2)} · {info.boxes} DET
        </span>
      </p>
      <form
        className="grounding-edit"
        onSubmit={(e) => {
          e.preventDefault();
          if (valid && !busy) void rerunGrounding(c, { prompt: prompt.trim(), boxThreshold: box, textThreshold: text });
        }}
      >
        <label className="note-label">
          <span>{t('grounding.prompt')}</span>
          <textarea rows={2} maxLength={1000} value={prompt} onChange={(e) => setPrompt(e.target.value)} title={t('grounding.editHint')} data-testid="grounding-edit-prompt" />
        </label>
        <div className="grounding-thresholds">
          <label>
            {t('grounding.boxThreshold')}
            <input type="number" min={0} max={1} step={0.01} value={box} onChange={(e) => setBox(Number(e.target.value))} data-testid="grounding-box-threshold" />
          </label>
          <label>
            {t('grounding.textThreshold')}
            <input type="number" min={0} max={1} step={0.01} value={text} onChange={(e) => setText(Number(e.target.value))} data-testid="grounding-text-threshold" />
          </label>
        </div>
        <button type="submit" disabled={!valid || busy || !c.path} data-testid="grounding-rerun">
          {busy ? t('grounding.running') : t('grounding.rerun')}
        </button>
      </form>
    </section>
  );
}
