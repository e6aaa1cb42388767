import type { ReactNode } from 'react';
import { useT, type MessageKey } from '../i18n';
import { formatDicomDate, formatPersonName } from '../viewer/annotations';
import type { StudyIdentity } from '../../../shared/dicom';
import type { SortDir, StudyColumnKey } from './worklistView';

/* Both worklist tables (received studies, PACS matches) show a study in the same first columns. */

/** Column sorting for a table that offers it (its own column keys `K`): the current sort and the header click. */
export interface Sorting<K extends string = string> {
  sort: { key: string; dir: SortDir } | null;
  onSort(key: K): void;
  /** Prefix of the headers' test ids (`sort-` by default): two sortable tables can share a page. */
  testIdPrefix?: string;
}

/**
 * A column header; with `sorting` it is a button (keyboard and screen reader reach it) and the
 * cell carries aria-sort, with an arrow beside the word so the direction never relies on colour.
 */
export function SortHeader<K extends string>({ k, label, sorting, className }: { k: K; label: MessageKey; sorting?: Sorting<K> | undefined; className?: string }) {
  const t = useT();
  if (!sorting) {
    return (
      <th scope="col" className={className}>
        {t(label)}
      </th>
    );
  }
  const dir = sorting.sort?.key === k ? sorting.sort.dir : null;
  const arrow: ReactNode = dir === 'asc' ? '▲' : dir === 'desc' ? '▼' : '↕';
  return (
    <th scope="col" className={className} aria-sort={dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none'} data-testid={`${sorting.testIdPrefix ?? 'sort-'}${k}`}>
      <button type="button" className={`sort-header${dir ? ' sorted' : ''}`} onClick={() => sorting.onSort(k)} title={t('worklist.sort.by')}>
        {t(label)} <span aria-hidden="true" className="sort-arrow">{arrow}</span>
      </button>
    </th>
  );
}

/** The header cells of the study columns; the caller's table adds its own columns after them. */
export function StudyHeadCells({ sorting }: { sorting?: Sorting<StudyColumnKey> }) {
  return (
    <>
      <SortHeader k="patient" label="worklist.patient" sorting={sorting} />
      <SortHeader k="date" label="worklist.date" sorting={sorting} />
      <SortHeader k="modality" label="worklist.modality" sorting={sorting} />
      <SortHeader k="description" label="worklist.description" sorting={sorting} />
    </>
  );
}

/** The row's study cells: the patient (name, then ID) heads the row, as a radiographer scans by patient. */
export function StudyCells({ s }: { s: StudyIdentity }) {
  return (
    <>
      <th scope="row">
        {formatPersonName(s.patientName) || '—'}
        <div className="muted">ID {s.patientId || '—'}</div>
      </th>
      <td>{formatDicomDate(s.studyDate)}</td>
      <td>{s.modalities.join(', ')}</td>
      <td>{s.description}</td>
    </>
  );
}
