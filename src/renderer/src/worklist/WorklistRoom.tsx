import { useEffect } from 'react';
import { useT, type MessageKey } from '../i18n';
import { formatDicomDate, formatPersonName } from '../viewer/annotations';
import { useWorklistStore } from './worklistStore';
import './worklist.css';

/** Glyphs beside the words, so the AI status never relies on colour. */
const AI_GLYPH: Record<string, string> = { 'not-run': '○', running: '◐', findings: '⚠', 'no-findings': '✔', failed: '⊘' };

/** Studies the DICOM node received or retrieved; a row opens the study as cases in the viewer. */
export function WorklistRoom() {
  const t = useT();
  const { data, error, loading, refresh, open } = useWorklistStore();
  useEffect(() => {
    void refresh();
    // Studies arrive while the room is open: poll gently (a local SQLite query).
    const timer = setInterval(() => void useWorklistStore.getState().refresh(), 3000);
    return () => clearInterval(timer);
  }, [refresh]);
  const node = data?.node;
  return (
    <section className="pageview worklist" aria-labelledby="worklist-title" data-testid="worklist">
      <div className="page-header">
        <h2 id="worklist-title" className="panel-title">
          {t('worklist.title')}
        </h2>
        <span className={`node-state node-${node?.state ?? 'off'}`} data-testid="node-state" data-state={node?.state ?? ''}>
          {t(`worklist.node.${node?.state ?? 'off'}` as MessageKey)}
          {node?.state === 'listening' && ` · ${node.aeTitle} @ ${node.bind}:${node.port}`}
          {node?.error && ` · ${node.error.code}: ${node.error.message}`}
        </span>
        <button type="button" onClick={() => void refresh()} disabled={loading} data-testid="worklist-refresh">
          {t('worklist.refresh')}
        </button>
      </div>
      {error && (
        <p className="export-status error" role="alert" data-testid="worklist-error">
          {error.code}: {error.message}
        </p>
      )}
      {data && data.studies.length === 0 ? (
        <p className="muted" data-testid="worklist-empty">
          {t('worklist.empty')}
        </p>
      ) : (
        <div className="table-scroll">
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">{t('worklist.patient')}</th>
                <th scope="col">{t('worklist.date')}</th>
                <th scope="col">{t('worklist.modality')}</th>
                <th scope="col">{t('worklist.description')}</th>
                <th scope="col" className="num">
                  {t('worklist.images')}
                </th>
                <th scope="col">{t('worklist.from')}</th>
                <th scope="col">{t('worklist.ai')}</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {(data?.studies ?? []).map((s) => (
                <tr key={s.studyInstanceUid} className="history-row" data-testid="worklist-row" data-study={s.studyInstanceUid} data-ai={s.aiStatus} onDoubleClick={() => void open(s.studyInstanceUid)}>
                  <th scope="row">
                    {formatPersonName(s.patientName) || '—'}
                    <div className="muted">ID {s.patientId || '—'}</div>
                  </th>
                  <td>{formatDicomDate(s.studyDate)}</td>
                  <td>{s.modalities.join(', ')}</td>
                  <td>{s.description}</td>
                  <td className="num">
                    {s.series} / {s.instances}
                  </td>
                  <td>{s.from.join(', ')}</td>
                  <td className={`ai-status ai-${s.aiStatus}`} data-testid="worklist-ai">
                    <span aria-hidden="true">{AI_GLYPH[s.aiStatus]}</span> {t(`worklist.ai.${s.aiStatus}` as MessageKey)}
                    {s.errorCode && <div className="muted">{s.errorCode}</div>}
                  </td>
                  <td>
                    <button type="button" onClick={() => void open(s.studyInstanceUid)} data-testid="worklist-open">
                      {t('worklist.open')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
