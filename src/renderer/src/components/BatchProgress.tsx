import type { KeyboardEvent } from 'react';
import { useT } from '../i18n';
import { cancelBatch, etaSeconds, useBatchStore } from '../review/batch';

function duration(s: number, t: ReturnType<typeof useT>): string {
  const m = Math.floor(s / 60);
  return m ? `${m} ${t('batch.min')} ${s % 60} ${t('batch.sec')}` : `${s} ${t('batch.sec')}`;
}

/**
 * "Inspecting 7 / 42 · case · ~ETA" while Inspect all runs, then what it did. Not modal: the
 * reviewer keeps working on the current case meanwhile.
 */
export function BatchProgress() {
  const t = useT();
  const b = useBatchStore();
  if (!b.running && !b.summary) return null;
  const eta = etaSeconds(b);
  const onKey = (e: KeyboardEvent) => {
    if (e.key !== 'Escape') return;
    // Esc here means this strip; the workstation's Esc (deselect, close sheet) stays out of it.
    e.stopPropagation();
    e.preventDefault();
    if (b.running) cancelBatch();
    else b.dismiss();
  };
  const s = b.summary;
  return (
    <section className="batch-strip" aria-label={t('batch.title')} onKeyDown={onKey} data-testid="batch-progress" data-state={b.running ? 'running' : s?.cancelled ? 'cancelled' : 'done'} data-finished={b.finished} data-total={b.total} data-failed={b.failed}>
      <span className="batch-text" role="status" aria-live="polite" data-testid="batch-text">
        {b.running ? (
          <>
            {t('batch.progress')} {Math.min(b.finished + 1, b.total)} / {b.total}
            {b.caseTitle && ` · ${b.caseTitle}`}
            {eta !== undefined && ` · ~${duration(eta, t)}`}
            {b.cancelling && ` · ${t('batch.cancelling')}`}
          </>
        ) : s && b.total === 0 ? (
          t('batch.nothing')
        ) : (
          s && (
            <>
              {s.cancelled ? t('batch.cancelled') : t('batch.done')}: {s.inspected} {t('batch.inspected')}, {s.failed} {t('batch.failed')}
              {s.codes.length > 0 && ` (${s.codes.join(', ')})`}
            </>
          )
        )}
      </span>
      <progress max={Math.max(1, b.total)} value={b.total ? b.finished : 1} aria-label={t('batch.title')} aria-valuemin={0} aria-valuemax={b.total} aria-valuenow={b.finished} aria-valuetext={`${b.finished} / ${b.total}`} data-testid="batch-bar" />
      {b.running ? (
        <button type="button" onClick={cancelBatch} disabled={b.cancelling} data-testid="batch-cancel">
          {t('batch.cancel')} <kbd>Esc</kbd>
        </button>
      ) : (
        <button type="button" onClick={b.dismiss} data-testid="batch-dismiss">
          {t('batch.dismiss')}
        </button>
      )}
    </section>
  );
}
