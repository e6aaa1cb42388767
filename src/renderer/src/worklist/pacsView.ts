/**
 * The order of the PACS search results table: by the study columns the worklist has (patient,
 * date, modality, description) with the same rules (worklistView.ts: calendar dates, collated
 * text, stable, missing last either way), plus the accession and the PACS's image count. Pure,
 * so the unit test and the table share it. No sort = the PACS's own answer order.
 */
import type { Output } from '../../../shared/contract';
import { sortRows, studyKey, textKey, type SortDir, type SortValue } from './worklistView';

/** One study the PACS answered (`dicom.query`). */
export type StudyMatch = Output<'dicom.query'>['matches'][number];

export const PACS_SORT_KEYS = ['patient', 'date', 'modality', 'description', 'accession', 'images'] as const;
export type PacsSortKey = (typeof PACS_SORT_KEYS)[number];
export interface PacsSort {
  key: PacsSortKey;
  dir: SortDir;
}

function matchKey(m: StudyMatch, key: PacsSortKey): SortValue {
  switch (key) {
    case 'accession':
      return textKey(m.accessionNumber);
    case 'images':
      // A PACS that does not say how many (null) sorts as missing.
      return m.instances;
    default:
      return studyKey(m, key);
  }
}

export function sortMatches(rows: readonly StudyMatch[], sort: PacsSort | null): StudyMatch[] {
  return sort ? sortRows(rows, (m) => matchKey(m, sort.key), sort.dir) : [...rows];
}
