/**
 * The selected case of the live feed: its image with the explanation map over it in the shared
 * viewer pane (konva: the same pane, layers and boxes as the Review room, not a second canvas),
 * the regions with their share of the map, or "explanation pending" until the map is recorded.
 */
import { useEffect } from 'react';
import { ViewerPane } from '../components/ViewerPane';
import { useT } from '../i18n';
import type { StationFeedCase } from '../../../shared/station';
import { useReviewStore } from '../state/reviewStore';
import { caseIdOfRun } from '../history/reopen';
import { useLineCase } from './lineCase';

export function LineCaseView({ c }: { c: StationFeedCase }) {
  const t = useT();
  const { explanation, runId, error, show, refresh } = useLineCase();
  // The map is recorded after the result: the feed's push says so, and the view reads it then.
  useEffect(() => {
    if (c.explanation === 'recorded' && explanation?.state !== 'recorded') void refresh();
  }, [c.explanation, explanation?.state, refresh]);
  const shownId = useReviewStore((s) => s.cases[s.current]?.id);
  const state = explanation?.state ?? c.explanation ?? 'pending';
  const map = explanation?.maps.find((m) => m.runId === runId) ?? explanation?.maps[0];
  const inViewer = runId !== null && shownId === caseIdOfRun(runId);
  return (
    <section className="line-case-view card" aria-label={`${t('line.caseView')} ${c.serial}`} data-testid="line-case-view" data-result-id={c.resultId} data-explanation={state}>
      <header className="line-case-head">
        <h3 className="card-title">
          {c.serial} <span className={`verdict-chip v-${c.verdict}`}>{c.verdict}</span>
        </h3>
        {explanation && explanation.maps.length > 1 && (
          <span role="group" aria-label={t('line.maps')} className="tool-group">
            {explanation.maps.map((m) => (
              <button key={m.runId} type="button" aria-pressed={m.runId === runId} onClick={() => void show(m.runId)}>
                {m.view ?? m.file}
              </button>
            ))}
          </span>
        )}
      </header>
      {error && (
        <p role="alert" className="line-error" data-testid="line-case-error" data-code={error.code}>
          <code>{error.code}</code> {error.message}
        </p>
      )}
      {state === 'pending' && (
        <p className="empty" data-testid="line-explanation-pending">
          {t('line.explanationPending')}
        </p>
      )}
      {state === 'none' && (
        <p className="empty" data-testid="line-explanation-none">
          {t('line.explanationNone')}
        </p>
      )}
      {state === 'recorded' && map && (
        <div className="line-case-body">
          <div className="line-viewer viewer-panes panes-1" data-testid="line-viewer" data-shown={inViewer ? 'yes' : 'no'}>
            {inViewer && <ViewerPane index={0} />}
          </div>
          <div className="line-explained">
            <p data-testid="line-explanation-method">
              {map.view ?? map.file}: <strong>{map.method}</strong> · {t('line.explains')} <strong>{map.explainedClass ?? '—'}</strong>
            </p>
            <p className="line-url" title={t('line.mapHashHint')} data-testid="line-map-sha">
              {t('line.mapHash')} {map.map.sha256?.slice(0, 16) ?? '—'}…
            </p>
            <table className="data-table line-regions" data-testid="line-regions">
              <thead>
                <tr>
                  <th scope="col">{t('line.region')}</th>
                  <th scope="col">{t('line.box')}</th>
                  <th scope="col">{t('line.share')}</th>
                </tr>
              </thead>
              <tbody>
                {map.regions.map((g, i) => (
                  <tr key={i} data-testid="line-region" data-share={g.share}>
                    <td>{g.label}</td>
                    <td className="num">
                      {g.box.map((v) => Math.round(v)).join(', ')}
                    </td>
                    <td className="num">{(g.share * 100).toFixed(1)} %</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {map.regions.length === 0 && <p className="empty">{t('line.noRegions')}</p>}
          </div>
        </div>
      )}
    </section>
  );
}
