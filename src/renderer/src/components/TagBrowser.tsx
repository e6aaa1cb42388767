import { useEffect, useMemo, useState } from 'react';
import { call } from '../api';
import { useT } from '../i18n';
import type { Output } from '../../../shared/contract';
import { toErrorInfo, type ErrorInfo } from '../../../shared/errors';

type Rows = Output<'images.tags'>;

/**
 * Read-only DICOM tag browser of the shown frame's file: tag, VR, keyword, value, sequences
 * indented, private elements marked; the search matches tag number, keyword or value. The host
 * never sends pixel data (bulk values show as their length).
 */
export function TagBrowser({ path, onClose }: { path: string | undefined; onClose(): void }) {
  const t = useT();
  const [rows, setRows] = useState<Rows>();
  const [error, setError] = useState<ErrorInfo>();
  const [query, setQuery] = useState('');
  useEffect(() => {
    setRows(undefined);
    setError(undefined);
    if (!path) return;
    let live = true;
    call('images.tags', { path }).then(
      (r) => live && setRows(r),
      (e) => live && setError(toErrorInfo(e)),
    );
    return () => {
      live = false;
    };
  }, [path]);
  const shown = useMemo(() => {
    const q = query.trim().toLowerCase().replace(/[(),\s]/g, '');
    if (!rows) return [];
    if (!q) return rows.rows;
    return rows.rows.filter((r) => r.tag.toLowerCase().replace(/[(),]/g, '').includes(q) || r.name.toLowerCase().includes(q) || r.value.toLowerCase().includes(query.trim().toLowerCase()));
  }, [rows, query]);
  return (
    <aside className="tag-browser" aria-labelledby="tags-title" data-testid="tag-browser">
      <div className="tag-head">
        <h3 id="tags-title">{t('tags.title')}</h3>
        <button type="button" onClick={onClose} data-testid="tags-close">
          {t('tags.close')}
        </button>
      </div>
      <input type="search" placeholder={t('tags.search')} aria-label={t('tags.search')} value={query} onChange={(e) => setQuery(e.target.value)} data-testid="tags-search" autoFocus />
      {!path && <p className="muted">{t('tags.none')}</p>}
      {error && (
        <p className="export-status error" role="alert">
          {error.code}: {error.message}
        </p>
      )}
      {rows?.truncated && <p className="muted">{t('tags.truncated')}</p>}
      <div className="tag-scroll">
        <table className="data-table tag-table">
          <tbody>
            {shown.map((r, i) => (
              <tr key={i} className={r.private ? 'private' : undefined} data-testid="tag-row" data-tag={r.tag} data-private={r.private ? 'true' : 'false'}>
                <td className="num" style={{ paddingLeft: 4 + r.depth * 10 }}>
                  {r.tag}
                </td>
                <td>{r.vr}</td>
                <td>
                  {r.name}
                  {r.private && <span className="private-mark"> ({t('tags.private')})</span>}
                </td>
                <td className="tag-value">{r.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </aside>
  );
}
