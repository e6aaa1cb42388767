import { useEffect } from 'react';
import { useT, type MessageKey } from '../i18n';
import { StudyCells, StudyHeadCells } from './StudyColumns';
import { useWorklistStore } from './worklistStore';
import { PacsQuery } from './PacsQuery';
import { call } from '../api';
import type { Output } from '../../../shared/contract';

type Outbox = Output<'dicom.worklist'>['studies'][number]['outbox'];

/** What the node sent back for a study: counts by state, the last error and the next try, in words and glyphs. */
function SentCell({ o }: { o: Outbox }) {
  const t = useT();
  const state = o.failed ? 'failed' : o.pending ? 'pending' : o.sent ? 'sent' : 'none';
  return (
    <td className={`outbox-state outbox-${state}`} data-testid="worklist-outbox" data-state={state} data-sent={o.sent} data-pending={o.pending} data-failed={o.failed}>
      {state === 'none' && t('worklist.sent.none')}
      {o.sent > 0 && <div>✔ {o.sent} {t('worklist.sent.sent')}</div>}
      {o.pending > 0 && <div>◐ {o.pending} {t('worklist.sent.pending')}</div>}
      {o.failed > 0 && <div>⊘ {o.failed} {t('worklist.sent.failed')}</div>}
      {o.lastErrorCode && <div className="muted">{o.lastErrorCode}</div>}
      {o.nextAttemptAt !== null && (
        <div className="muted">
          {t('worklist.sent.next')} {new Date(o.nextAttemptAt).toLocaleTimeString()}
        </div>
      )}
      {(o.pending > 0 || o.failed > 0) && (
        <button type="button" onClick={() => void call('dicom.retryOutbox', {}).then(() => useWorklistStore.getState().refresh())} data-testid="worklist-retry">
          {t('worklist.sent.retry')}
        </button>
      )}
    </td>
  );
}
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
      {node?.state === 'listening' && <PacsQuery />}
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
                <StudyHeadCells />
                <th scope="col" className="num">
                  {t('worklist.images')}
                </th>
                <th scope="col">{t('worklist.from')}</th>
                <th scope="col">{t('worklist.ai')}</th>
                <th scope="col">{t('worklist.sent')}</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {(data?.studies ?? []).map((s) => (
                <tr key={s.studyInstanceUid} className="history-row" data-testid="worklist-row" data-study={s.studyInstanceUid} data-ai={s.aiStatus} onDoubleClick={() => void open(s.studyInstanceUid)}>
                  <StudyCells s={s} />
                  <td className="num">
                    {s.series} / {s.instances}
                  </td>
                  <td>{s.from.join(', ')}</td>
                  <td className={`ai-status ai-${s.aiStatus}`} data-testid="worklist-ai">
                    <span aria-hidden="true">{AI_GLYPH[s.aiStatus]}</span> {t(`worklist.ai.${s.aiStatus}` as MessageKey)}
                    {s.errorCode && <div className="muted">{s.errorCode}</div>}
                  </td>
                  <SentCell o={s.outbox} />
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
