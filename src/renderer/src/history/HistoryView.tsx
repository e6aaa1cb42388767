import { BANNER_GLYPH, kindOfVerdict } from '../review/banner';
import { DayInput } from '../components/DayInput';
import { useEffect, useRef, useState } from 'react';
import { useT, type MessageKey } from '../i18n';
import { useAppStore } from '../state/appStore';
import { toErrorInfo } from '../../../shared/errors';
import { ExportBar } from './ExportBar';
import { fileName, formatScore, formatTime, nextSort, REVIEW_STATUSES, type HistorySort } from './format';
import { PAGE_SIZE, useHistoryStore, type HistoryRow } from './historyStore';
import { useOperatorStore } from './operatorStore';
import { reopenRun } from './reopen';

const DECISION_GLYPH = { accept: '✓', reject: '✕', override: '✎', uncertain: '?' } as const;

function open(runId: number) {
  reopenRun(runId).catch((e: unknown) => useAppStore.getState().setError(toErrorInfo(e)));
}

function SortHeader({ by, label, sort }: { by: HistorySort['by']; label: string; sort: HistorySort }) {
  const t = useT();
  const active = sort.by === by;
  const setSort = useHistoryStore((s) => s.setSort);
  return (
    <th scope="col" aria-sort={active ? (sort.order === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="sort" onClick={() => setSort(nextSort(sort, by))} data-testid={`sort-${by}`}>
        {label} <span aria-hidden="true">{active ? (sort.order === 'asc' ? '▲' : '▼') : '↕'}</span>
        {active && <span className="sr-only">, {t(sort.order === 'asc' ? 'history.sortAsc' : 'history.sortDesc')}</span>}
      </button>
    </th>
  );
}

function Row({ row }: { row: HistoryRow }) {
  const t = useT();
  const r = row.review;
  return (
    <tr className="history-row" onClick={() => open(row.runId)} data-run={row.runId} data-testid={`history-row-${row.runId}`}>
      <td className="num">{formatTime(row.createdAt)}</td>
      <th scope="row">
        <button type="button" className="link" onClick={(e) => (e.stopPropagation(), open(row.runId))} title={t('history.open')} data-testid={`history-open-${row.runId}`}>
          {row.caseKey}
        </button>
        {(row.line || row.station) && <span className="muted"> · {[row.line, row.station].filter(Boolean).join(' / ')}</span>}
      </th>
      <td title={row.sourcePath}>{fileName(row.sourcePath)}</td>
      <td>
        {row.packName}
        <span className="muted">@{row.packVersion}</span>
      </td>
      <td className={`verdict-cell kind-${kindOfVerdict(row.verdict)}`} data-kind={kindOfVerdict(row.verdict)}>
        <span aria-hidden="true">{BANNER_GLYPH[kindOfVerdict(row.verdict)]} </span>
        <span data-testid="cell-verdict">{row.verdict}</span>
        {row.caseVerdict && (
          // The integrated verdict the case was given (stored with its runs), with the policy behind it.
          <div className={`case-verdict kind-${kindOfVerdict(row.caseVerdict.verdict)}`} data-testid="cell-case-verdict" data-source={row.caseVerdict.source} title={row.caseVerdict.policy ?? t('history.caseRecomputed')}>
            {t('history.caseVerdict')}: <span aria-hidden="true">{BANNER_GLYPH[kindOfVerdict(row.caseVerdict.verdict)]} </span>
            {row.caseVerdict.verdict}
            {row.caseVerdict.source === 'recomputed' ? <em className="muted"> ({t('history.caseRecomputed')})</em> : row.caseVerdict.policy?.includes('incomplete') ? <span className="muted"> ({row.caseVerdict.policy})</span> : null}
          </div>
        )}
      </td>
      <td className="num">{formatScore(row.score)}</td>
      <td className="num">{formatScore(row.threshold)}</td>
      <td data-testid="cell-review">
        {r ? (
          <>
            <span aria-hidden="true">{DECISION_GLYPH[r.decision]}</span> {t(`review.status.${r.decision}` as MessageKey)}
            {r.label && <strong> → {r.label}</strong>}
          </>
        ) : (
          <span className="muted">{t('history.unreviewed')}</span>
        )}
        {row.boxes && (
          <span className="muted" data-testid="cell-box-reviews">
            {' '}· ✓{row.boxes.accepted} {t('box.accepted')} ✕{row.boxes.rejected} {t('box.rejected')}
          </span>
        )}
        {row.groundingPrompt && (
          <span className="muted history-prompt" title={row.groundingPrompt} data-testid="cell-prompt">
            {' '}· “{row.groundingPrompt.length > 40 ? `${row.groundingPrompt.slice(0, 39)}…` : row.groundingPrompt}”
          </span>
        )}
      </td>
      <td data-testid="cell-reviewer">{r?.operatorId ?? ''}</td>
    </tr>
  );
}

/** Every inspection on record, newest first: filter, sort, page, and open one back in the viewer. */
export function HistoryView() {
  const t = useT();
  const { filters, sort, offset, page, total, loading, error, options, setFilters, resetFilters, goToOffset, search, loadOptions } = useHistoryStore();
  const operators = useOperatorStore((s) => s.operators);
  const [text, setText] = useState(filters.text);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    heading.current?.focus();
    void search();
    void loadOptions();
  }, [search, loadOptions]);

  // Typing searches after a pause, not per keystroke.
  useEffect(() => {
    if (text === useHistoryStore.getState().filters.text) return;
    const id = setTimeout(() => setFilters({ text }), 250);
    return () => clearTimeout(id);
  }, [text, setFilters]);

  const rows = page?.rows ?? [];
  const first = rows.length ? offset + 1 : 0;
  const last = offset + rows.length;
  return (
    <main className="pageview history" aria-labelledby="history-title" data-testid="history-view" aria-busy={loading}>
      <header className="page-header">
        <h2 id="history-title" className="panel-title" tabIndex={-1} ref={heading}>
          {t('history.title')}
        </h2>
        <form className="filters" role="search" aria-label={t('history.filters')} onSubmit={(e) => (e.preventDefault(), setFilters({ text }))}>
          <label>
            {t('history.text')}
            <input type="search" value={text} maxLength={200} onChange={(e) => setText(e.target.value)} data-testid="history-text" />
          </label>
          <label>
            {t('history.from')}
            <DayInput value={filters.fromDay} onChange={(d) => setFilters({ fromDay: d })} data-testid="history-from" />
          </label>
          <label>
            {t('history.to')}
            <DayInput value={filters.toDay} onChange={(d) => setFilters({ toDay: d })} data-testid="history-to" />
          </label>
          <label>
            {t('history.verdict')}
            <select value={filters.verdict} onChange={(e) => setFilters({ verdict: e.target.value })} data-testid="history-verdict">
              <option value="">{t('history.any')}</option>
              {options.verdicts.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('history.pack')}
            <select value={filters.pack} onChange={(e) => setFilters({ pack: e.target.value })} data-testid="history-pack">
              <option value="">{t('history.any')}</option>
              {options.packs.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('history.reviewer')}
            <select value={filters.reviewer} onChange={(e) => setFilters({ reviewer: e.target.value })} data-testid="history-reviewer">
              <option value="">{t('history.any')}</option>
              {operators.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name} ({o.id})
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('history.reviewStatus')}
            <select value={filters.reviewStatus} onChange={(e) => setFilters({ reviewStatus: e.target.value as (typeof REVIEW_STATUSES)[number] })} data-testid="history-status">
              {REVIEW_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {t(`review.status.${s}` as MessageKey)}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            onClick={() => {
              setText('');
              resetFilters();
            }}
            data-testid="history-reset"
          >
            {t('history.reset')}
          </button>
          <button type="button" onClick={() => void search()} data-testid="history-refresh">
            {t('history.refresh')}
          </button>
        </form>
        <ExportBar />
      </header>
      {error && (
        <p className="status-error" role="alert" data-testid="history-error">
          {t('error.title')}: {error.code} — {error.message}
        </p>
      )}
      <div className="table-scroll">
        <table className="data-table history-table" data-testid="history-table">
          <caption className="sr-only">{t('history.title')}</caption>
          <thead>
            <tr>
              <SortHeader by="time" label={t('history.col.time')} sort={sort} />
              <th scope="col">{t('history.col.case')}</th>
              <th scope="col">{t('history.col.image')}</th>
              <th scope="col">{t('history.col.pack')}</th>
              <th scope="col">{t('history.col.verdict')}</th>
              <SortHeader by="score" label={t('history.col.score')} sort={sort} />
              <th scope="col">{t('history.col.threshold')}</th>
              <th scope="col">{t('history.col.review')}</th>
              <th scope="col">{t('history.col.reviewer')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <Row key={row.runId} row={row} />
            ))}
          </tbody>
        </table>
        {!loading && page && rows.length === 0 && (
          <p className="empty" data-testid="history-empty">
            {t('history.empty')}
          </p>
        )}
      </div>
      <footer className="pager" aria-live="polite">
        <span data-testid="history-range">
          {loading && !page
            ? t('history.loading')
            : `${t('history.rows')} ${first}–${last}${total !== undefined ? ` ${t('history.of')} ${total}` : ''}`}
        </span>
        <button type="button" disabled={offset === 0} onClick={() => goToOffset(offset - PAGE_SIZE)} data-testid="history-prev">
          ← {t('history.prev')}
        </button>
        <button type="button" disabled={!page?.hasMore} onClick={() => goToOffset(offset + PAGE_SIZE)} data-testid="history-next">
          {t('history.next')} →
        </button>
      </footer>
    </main>
  );
}
