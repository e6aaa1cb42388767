import { useT } from '../i18n';
import { useAppStore } from '../state/appStore';
import { useReviewStore } from '../state/reviewStore';
import { useViewerStore } from '../state/viewerStore';
import type { Findings, LocalText, SideDriver } from '../review/types';
import type { BoxData } from '../viewer/types';
import { boxCaption } from './BoxShapes';
import { useOperatorStore } from '../history/operatorStore';
import { InspectBar } from './InspectBar';
import { VerdictBanner } from './VerdictBanner';
import { bannerOf } from '../review/banner';
import { useBatchStore } from '../review/batch';
import { GuardWarning } from './GuardWarning';
import { ValidationBadge } from './ValidationBadge';
import { SystemsCard } from './SystemsCard';
import { decideBox } from '../review/grounding';
import { SkippedNote } from './SkippedNote';
import type { Locale } from '../i18n';
import { SegmentationFindingsCard } from '../mask/SegmentationFindingsCard';

export const localText = (x: LocalText | undefined, locale: Locale, fallback = ''): string => (x ? (locale === 'ko' && x.ko ? x.ko : x.en) : fallback);

/** A class id's name in the UI language, from the pack's display names in the findings. */
export const className = (f: Findings | undefined, label: string, locale: Locale): string =>
  localText(f?.probabilities.find((p) => p.label === label)?.displayName ?? f?.segmentation?.classes.find((c) => c.label === label)?.displayName, locale, label);

/** "internal: uncertain 0.983 (porosity)" in the UI language (side, decision and class translated). */
export function sideDriverText(d: SideDriver, t: ReturnType<typeof useT>, name: (label: string) => string): string {
  return `${t(`side.${d.side}`)}: ${t(`decision.${d.decision}`)} ${d.score.toFixed(3)}${d.label ? ` (${name(d.label)})` : ''}`;
}

function zoomTo(b: BoxData) {
  const v = useViewerStore.getState();
  const el = document.querySelector('[data-testid="viewer-pane-0"]');
  const w = el?.clientWidth ?? 800;
  const h = el?.clientHeight ?? 600;
  const scale = Math.min((w * 0.6) / Math.max(1, b.rect.width), (h * 0.6) / Math.max(1, b.rect.height), 16);
  v.setActivePane(0);
  v.setViewport({ scale, x: w / 2 - (b.rect.x + b.rect.width / 2) * scale, y: h / 2 - (b.rect.y + b.rect.height / 2) * scale }, 0);
  if (b.source === 'reviewer') v.selectBox(b.id);
}

export function FindingsPanel() {
  const t = useT();
  const locale = useAppStore((s) => s.locale);
  const c = useReviewStore((s) => s.cases[s.current]);
  const findings = useReviewStore((s) => (c ? s.findings[c.id] : undefined));
  const draft = useReviewStore((s) => (c ? s.drafts[c.id] : undefined));
  const saving = useReviewStore((s) => s.saving);
  const reviewer = useReviewStore((s) => s.reviewer);
  const lastError = useReviewStore((s) => s.lastError);
  const scene = useViewerStore((s) => (c ? s.scenes[c.id] : undefined));
  const selected = useViewerStore((s) => s.selectedBox);
  const focused = useViewerStore((s) => s.focusedBox);
  const r = useReviewStore.getState();
  const regions = [...(scene?.boxes ?? []), ...(draft?.boxes ?? [])];
  const classes = findings?.segmentation ? findings.segmentation.classes.map((c) => c.label) : (findings?.probabilities.map((p) => p.label) ?? []);
  const disabled = !c;
  const run = useBatchStore((s) => (c ? s.perCase[c.id] : undefined));
  const banner = bannerOf(findings, run?.state === 'error' ? { code: run.code } : undefined);
  return (
    <aside className="panel findings" aria-labelledby="findings-title">
      <h2 id="findings-title" className="panel-title">
        {t('findings.title')}
      </h2>
      <section className="card" aria-labelledby="verdict-title" data-testid="verdict-card">
        <h3 id="verdict-title" className="card-title">
          {t('findings.verdict')}
        </h3>
        <InspectBar />
        <VerdictBanner />
        <SkippedNote />
        {!findings ? (
          <p className="empty">{t('findings.empty')}</p>
        ) : (
          <>
            {findings.segmentation ? (
              <SegmentationFindingsCard findings={findings.segmentation} />
            ) : (
              <p className="verdict" data-testid="verdict">
                {t('banner.model')}: {findings.verdict === 'uncertain' ? t('decision.uncertain') : className(findings, findings.verdict, locale)}
              </p>
            )}
            {findings.tiling && (
              <p className="tiling" data-testid="tiling">
                {t('findings.tiled')}: {findings.tiling.tile ? `${findings.tiling.tiles} × ${findings.tiling.tile[1]}×${findings.tiling.tile[0]} px` : `${findings.tiling.tiles} ${t('findings.tiles')}`}
                {findings.tiling.overlap ? ` · ${t('findings.overlap')} ${findings.tiling.overlap[1]} px` : ''}
                {findings.tiling.score ? ` · ${t('findings.tileScore')} ${findings.tiling.score}` : ''}
              </p>
            )}
            {findings.guard && <GuardWarning guard={findings.guard} />}
            {findings.validation && !findings.validation.validated && <ValidationBadge validated={false} reason={findings.validation.reason} testId="not-validated" />}
            <table className="probs">
              <caption className="sr-only">{t('findings.probabilities')}</caption>
              <tbody>
                {findings.probabilities.map((p) => (
                  <tr key={p.label}>
                    <th scope="row">{localText(p.displayName, locale, p.label)}</th>
                    <td>
                      {/* The top class's bar takes the banner's colour: a near-tie is never a green bar. */}
                      <span className={`prob-bar${p.label === findings.verdict ? ` bar-${banner?.kind ?? 'pass'}` : ''}`} role="meter" aria-valuemin={0} aria-valuemax={1} aria-valuenow={p.p} aria-label={p.label} data-testid={`prob-${p.label}`}>
                        <span style={{ width: `${(p.p * 100).toFixed(1)}%` }} />
                      </span>
                    </td>
                    <td className="num">{(p.p * 100).toFixed(1)}%</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {findings.integrated && (
              <div className="integrated" data-testid="integrated">
                <strong>
                  {t('findings.integrated')}: {localText(findings.integrated.displayName, locale, findings.integrated.verdict)}
                </strong>
                <ul>
                  {findings.integrated.drivers.map((d, i) => (
                    <li key={i}>{typeof d === 'string' ? d : sideDriverText(d, t, (l) => className(findings, l, locale))}</li>
                  ))}
                </ul>
              </div>
            )}
          </>
        )}
      </section>
      <section className="card" aria-labelledby="regions-title">
        <h3 id="regions-title" className="card-title">
          {t('findings.regions')} ({regions.length})
        </h3>
        {regions.length === 0 ? (
          <p className="empty">{t('findings.noRegions')}</p>
        ) : (
          <ul className="regions" data-testid="regions">
            {regions.map((b) => (
              <li key={b.id} className={b.id === selected || b.id === focused ? 'selected' : ''} data-box-row={b.id} aria-current={b.id === focused ? 'true' : undefined}>
                <button type="button" className="link" onClick={() => zoomTo(b)} title={t('findings.zoomTo')}>
                  {boxCaption(b, (l) => className(findings, l, locale))}
                </button>
                {b.source !== 'reviewer' && b.runId !== undefined && b.index !== undefined && c && (
                  // Per-box review of a model box: recorded at once against its run (review.box).
                  <span className="region-edit box-decision" role="group" aria-label={boxCaption(b)}>
                    <button type="button" aria-pressed={b.decision === 'accept'} aria-label={`${t('box.accept')}: ${boxCaption(b)}`} onClick={() => void decideBox(c.id, b, 'accept')} data-testid={`box-accept-${b.id}`}>
                      ✓
                    </button>
                    <button type="button" aria-pressed={b.decision === 'reject'} aria-label={`${t('box.reject')}: ${boxCaption(b)}`} onClick={() => void decideBox(c.id, b, 'reject')} data-testid={`box-reject-${b.id}`}>
                      ✕
                    </button>
                  </span>
                )}
                {b.source === 'reviewer' && c && (
                  <span className="region-edit">
                    <input
                      id={`box-label-${b.id}`}
                      aria-label={t('box.label')}
                      value={b.label}
                      onChange={(e) => r.updateBox(c.id, b.id, { label: e.target.value })}
                      data-testid={`box-label-${b.id}`}
                    />
                    <button type="button" aria-label={t('shortcut.deleteBox')} onClick={() => r.deleteBox(c.id, b.id)}>
                      ✕
                    </button>
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <SystemsCard />
      <section className="card" aria-labelledby="review-title">
        <h3 id="review-title" className="card-title">
          {t('review.title')}
        </h3>
        <p className="reviewer-line" data-testid="reviewer">
          {t('review.reviewer')}: <strong>{reviewer || t('operator.none')}</strong>{' '}
          <button type="button" className="link" onClick={() => useOperatorStore.getState().setOpen(true)}>
            {t('review.changeReviewer')}
          </button>
        </p>
        <div className="review-actions">
          <button type="button" disabled={disabled} title={disabled ? t('review.disabled') : undefined} onClick={() => void r.decide('accept')} aria-pressed={draft?.decision === 'accept'} data-testid="review-accept">
            <kbd>A</kbd> ✓ {t('review.accept')}
          </button>
          <button type="button" disabled={disabled} title={disabled ? t('review.disabled') : undefined} onClick={() => void r.decide('reject')} aria-pressed={draft?.decision === 'reject'} data-testid="review-reject">
            <kbd>R</kbd> ✕ {t('review.reject')}
          </button>
          <button type="button" disabled={disabled} title={disabled ? t('review.disabled') : undefined} onClick={() => void r.decide('uncertain')} aria-pressed={draft?.decision === 'uncertain'} data-testid="review-uncertain">
            <kbd>U</kbd> ? {t('review.uncertain')}
          </button>
        </div>
        <label className="note-label">
          <span>
            <kbd>O</kbd> {t('review.override')}
          </span>
          <select
            id="override-class"
            disabled={disabled || classes.length === 0}
            value={draft?.overrideClass ?? ''}
            onChange={(e) => e.target.value && void r.decide('override', e.target.value)}
            data-testid="override-class"
          >
            <option value="">—</option>
            {classes.map((label) => (
              <option key={label} value={label}>
                {className(findings, label, locale)}
              </option>
            ))}
          </select>
        </label>
        <label className="note-label">
          <span>
            <kbd>E</kbd> {t('review.note')}
          </span>
          <textarea id="review-note" disabled={disabled} rows={3} value={draft?.note ?? ''} onChange={(e) => c && r.editDraft(c.id, { note: e.target.value })} data-testid="review-note" />
        </label>
        <p className="save-state" role="status" data-testid="save-state">
          {saving ? t('review.saving') : lastError ? `${t('error.title')}: ${lastError}` : draft?.dirty ? `● ${t('review.unsaved')}` : draft?.savedAt ? `✓ ${t('review.saved')} ${draft.savedAt}` : ''}
        </p>
      </section>
      {findings && findings.models.length > 0 && (
        <section className="card" aria-labelledby="model-title" data-testid="model-card">
          <h3 id="model-title" className="card-title">
            {t('findings.model')}
          </h3>
          {findings.models.map((m) => (
            <div key={m.pack} className="model">
              <strong>{localText(m.displayName, locale, m.pack)}</strong> <span className="muted">
                {m.pack}@{m.version} · {m.task}
              </span>
              {m.intendedUse && <p>{localText(m.intendedUse, locale)}</p>}
              {m.limitations && (
                <p className="muted">
                  {t('findings.limitations')}: {localText(m.limitations, locale)}
                </p>
              )}
              {m.metrics && (
                <p className="muted">
                  {m.metrics.map((x) => `${x.name} ${x.value.toFixed(3)}`).join(' · ')}
                </p>
              )}
            </div>
          ))}
        </section>
      )}
    </aside>
  );
}
