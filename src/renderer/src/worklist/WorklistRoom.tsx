import { useEffect, useMemo } from 'react';
import { useT, type MessageKey } from '../i18n';
import { SortHeader, StudyCells, StudyHeadCells, type Sorting } from './StudyColumns';
import { AI_FILTERS, DATE_RANGES, isFiltered, modalitiesOf, studyCountKey, worklistView, type SortKey } from './worklistView';
import { useWorklistStore } from './worklistStore';
import { PacsQuery } from './PacsQuery';
import { NodeSettings } from './NodeSettings';
import { call } from '../api';
import type { Output } from '../../../shared/contract';
import './worklist.css';

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
/** Text, modality, AI status and study date filters, and how many of the node's studies they leave (the noun agrees with the total: "1 of 1 study", "0 of 1 study", "1 of 5 studies"). */
function FilterBar({ shown, total }: { shown: number; total: number }) {
  const t = useT();
  const { filter, setFilter, clearFilter, data } = useWorklistStore();
  const modalities = useMemo(() => {
    const m = modalitiesOf(data?.studies ?? []);
    // A chosen modality stays choosable after its last study went.
    return filter.modality && !m.includes(filter.modality) ? [...m, filter.modality].sort() : m;
  }, [data, filter.modality]);
  return (
    <div className="worklist-filters" role="search" aria-label={t('worklist.filter.label')} data-testid="worklist-filters">
      <input
        type="search"
        value={filter.text}
        placeholder={t('worklist.filter.text')}
        aria-label={t('worklist.filter.text')}
        onChange={(e) => setFilter({ text: e.target.value })}
        data-testid="worklist-filter-text"
      />
      <label>
        {t('worklist.modality')}
        <select value={filter.modality} onChange={(e) => setFilter({ modality: e.target.value })} data-testid="worklist-filter-modality">
          <option value="">{t('worklist.filter.any')}</option>
          {modalities.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('worklist.ai')}
        <select value={filter.ai} onChange={(e) => setFilter({ ai: e.target.value as (typeof AI_FILTERS)[number] })} data-testid="worklist-filter-ai">
          {AI_FILTERS.map((a) => (
            <option key={a} value={a}>
              {a === 'all' ? t('worklist.filter.any') : t(`worklist.ai.${a}` as MessageKey)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('worklist.date')}
        <select value={filter.date} onChange={(e) => setFilter({ date: e.target.value as (typeof DATE_RANGES)[number] })} data-testid="worklist-filter-date">
          {DATE_RANGES.map((d) => (
            <option key={d} value={d}>
              {t(`worklist.filter.date.${d}` as MessageKey)}
            </option>
          ))}
        </select>
      </label>
      {isFiltered(filter) && (
        <button type="button" onClick={clearFilter} data-testid="worklist-filter-clear">
          {t('worklist.filter.clear')}
        </button>
      )}
      <span className="muted worklist-count" aria-live="polite" data-testid="worklist-count" data-shown={shown} data-total={total}>
        {t(studyCountKey(total)).replace('{shown}', String(shown)).replace('{total}', String(total))}
      </span>
    </div>
  );
}

/** Glyphs beside the words, so the AI status never relies on colour. */
const AI_GLYPH: Record<string, string> = { 'not-run': '○', running: '◐', findings: '⚠', 'no-findings': '✔', failed: '⊘' };

/** Studies the DICOM node received or retrieved; a row opens the study as cases in the viewer. */
export function WorklistRoom() {
  const t = useT();
  const { data, error, loading, refresh, open, sort, filter, sortBy, clearFilter } = useWorklistStore();
  useEffect(() => {
    void refresh();
    // Studies arrive while the room is open: poll gently (a local SQLite query).
    const timer = setInterval(() => void useWorklistStore.getState().refresh(), 3000);
    return () => clearInterval(timer);
  }, [refresh]);
  const node = data?.node;
  // Recomputed on each poll too: "today" and "last 7 days" follow the clock.
  const view = useMemo(() => worklistView(data?.studies ?? [], filter, sort, new Date()), [data, filter, sort]);
  const sorting: Sorting<SortKey> = { sort, onSort: sortBy };
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
      <NodeSettings />
      {node?.state === 'listening' && <PacsQuery />}
      {error && (
        <p className="export-status error" role="alert" data-testid="worklist-error">
          {error.code}: {error.message}
        </p>
      )}
      {data && data.studies.length > 0 && <FilterBar shown={view.rows.length} total={view.total} />}
      {data && data.studies.length === 0 ? (
        <p className="muted" data-testid="worklist-empty">
          {t('worklist.empty')}
        </p>
      ) : data && view.rows.length === 0 ? (
        <p className="muted" data-testid="worklist-no-match">
          {t('worklist.filter.none')}{' '}
          <button type="button" onClick={clearFilter} data-testid="worklist-no-match-clear">
            {t('worklist.filter.clear')}
          </button>
        </p>
      ) : (
        <div className="table-scroll">
          <table className="data-table">
            <thead>
              <tr>
                <StudyHeadCells sorting={sorting} />
                <SortHeader k="images" label="worklist.images" sorting={sorting} className="num" />
                <th scope="col">{t('worklist.from')}</th>
                <SortHeader k="ai" label="worklist.ai" sorting={sorting} />
                <th scope="col">{t('worklist.sent')}</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {view.rows.map((s) => (
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
