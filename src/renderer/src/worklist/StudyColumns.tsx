import { useT } from '../i18n';
import { formatDicomDate, formatPersonName } from '../viewer/annotations';
import type { StudyIdentity } from '../../../shared/dicom';

/* Both worklist tables (received studies, PACS matches) show a study in the same first columns. */

/** The header cells of the study columns; the caller's table adds its own columns after them. */
export function StudyHeadCells() {
  const t = useT();
  return (
    <>
      <th scope="col">{t('worklist.patient')}</th>
      <th scope="col">{t('worklist.date')}</th>
      <th scope="col">{t('worklist.modality')}</th>
      <th scope="col">{t('worklist.description')}</th>
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
