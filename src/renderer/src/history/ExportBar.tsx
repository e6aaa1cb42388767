import { useState } from 'react';
import { call } from '../api';
import { useT } from '../i18n';
import { toErrorInfo } from '../../../shared/errors';
import { exportFilters } from './format';
import { useHistoryStore } from './historyStore';

type Format = 'csv' | 'json' | 'pdf';
type Status = { kind: 'ok' | 'info' | 'error'; text: string } | null;

/**
 * Exports what the filters select. The host asks where to save and signs the export with the
 * operator profile; this bar only names the format (and whether to de-identify) and reports the outcome.
 */
export function ExportBar() {
  const t = useT();
  const filters = useHistoryStore((s) => s.filters);
  const [busy, setBusy] = useState<Format | null>(null);
  const [status, setStatus] = useState<Status>(null);
  // Off by default: a file kept on the station is the full record; one that leaves it is de-identified.
  const [deidentify, setDeidentify] = useState(false);

  async function run(format: Format) {
    setBusy(format);
    setStatus({ kind: 'info', text: t('export.working') });
    try {
      const r = await call('history.export', { format, filters: exportFilters(filters), ...(deidentify ? { deidentify: true } : {}) });
      if (r.cancelled) setStatus({ kind: 'info', text: t('export.cancelled') });
      else {
        const broken = r.chainOk === false ? ` ${t('export.chainBroken')}` : '';
        const deid = r.deidentified ? ` (${t('export.deidentified')})` : '';
        setStatus({ kind: broken ? 'error' : 'ok', text: `${t('export.saved')}: ${r.fileName}${deid} — ${r.runs} ${t('export.runs')}; ${t('export.logged')} #${r.auditSeq}.${broken}` });
      }
    } catch (e) {
      const info = toErrorInfo(e);
      setStatus({ kind: 'error', text: `${info.code === 'OPERATOR_REQUIRED' ? t('export.needOperator') : info.message} (${info.code})` });
    } finally {
      setBusy(null);
    }
  }

  const button = (format: Format) => (
    <button type="button" onClick={() => void run(format)} disabled={busy !== null} aria-busy={busy === format} data-testid={`export-${format}`}>
      {t(`export.${format}`)}
    </button>
  );
  return (
    <div className="export-bar" role="group" aria-label={t('export.group')}>
      {button('csv')}
      {button('json')}
      {button('pdf')}
      <label className="export-deidentify" title={t('export.deidentifyHint')}>
        <input type="checkbox" checked={deidentify} onChange={(e) => setDeidentify(e.target.checked)} disabled={busy !== null} data-testid="export-deidentify" />
        {t('export.deidentify')}
      </label>
      <span role="status" className={`export-status ${status?.kind ?? ''}`} data-testid="export-status" data-kind={status?.kind ?? ''}>
        {status?.text}
      </span>
    </div>
  );
}
