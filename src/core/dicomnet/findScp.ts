/**
 * C-FIND SCP (Study Root and Patient Root, STUDY and SERIES level): what Inspector holds —
 * studies and series received into its inbox, as recorded in `dicom_instances` — answered to a
 * peer's query (PS3.4 C.6.2). Matching follows PS3.4 C.2.2.2: single value (exact), wildcards
 * `*` `?` for string keys, ranges `A-B` / `A-` / `-B` for dates, UID lists `\`, empty = return
 * the key. The history keeps ids, never names (privacy), so Patient's Name, Study Description and
 * Study Time are read from the header of the study's first instance file, only for matched rows.
 */
import type Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { InspectorError } from '../../shared/errors';
import { dcmjs } from './dimse';

export const STUDY_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
export const PATIENT_ROOT_FIND = '1.2.840.10008.5.1.4.1.2.1.1';

export type FindQuery = Record<string, unknown>;

interface SeriesRow {
  study_instance_uid: string;
  series_instance_uid: string;
  patient_id: string;
  accession_number: string;
  study_date: string;
  modality: string;
  body_part: string;
  instances: number;
  path: string;
}

const text = (v: unknown): string => {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map(text).join('\\');
  if (typeof v === 'object' && 'Alphabetic' in (v as object)) return String((v as { Alphabetic?: string }).Alphabetic ?? '');
  return String(v);
};

/** PS3.4 C.2.2.2.4: `*` any run, `?` one character; case-sensitive except PN (insensitive here, as most PACS do). */
function wildcard(pattern: string, value: string, caseless: boolean): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, caseless ? 'is' : 's');
  return re.test(value);
}

/** One key's matching: empty = universal; dates take ranges; UIDs take lists; strings wildcards. */
export function matches(key: string, want: unknown, have: string): boolean {
  const w = text(want).trim();
  if (w === '' || w === '*') return true;
  if (key.endsWith('Date') && w.includes('-')) {
    const [from, to] = w.split('-') as [string, string];
    return (!from || have >= from) && (!to || have <= to);
  }
  if (key.endsWith('UID')) return w.split('\\').includes(have);
  if (key === 'ModalitiesInStudy') return w.split('\\').some((m) => have.split('\\').includes(m));
  return wildcard(w, have.trim(), key === 'PatientName');
}

/** Header fields the history does not keep, from the first instance of a study. */
function headerOf(path: string): Record<string, unknown> {
  try {
    const b = readFileSync(path);
    const dict = dcmjs.data.DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, { untilTag: '7FE00010' } as never);
    return dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  } catch {
    return {};
  }
}

/** The rows answering `query` at its QueryRetrieveLevel; each holds exactly the keys asked for (plus the level). */
export function findHeld(db: Database.Database, query: FindQuery): Record<string, unknown>[] {
  const level = text(query['QueryRetrieveLevel']).trim().toUpperCase();
  if (level !== 'STUDY' && level !== 'SERIES') {
    throw new InspectorError('DICOM_FIND_LEVEL_UNSUPPORTED', `C-FIND at level "${level || '(none)'}" is not supported; Inspector answers STUDY and SERIES.`, { level });
  }
  const series = db
    .prepare(
      `SELECT study_instance_uid, series_instance_uid, min(patient_id) AS patient_id, min(accession_number) AS accession_number,
              min(study_date) AS study_date, min(modality) AS modality, min(body_part) AS body_part, count(*) AS instances, min(path) AS path
         FROM dicom_instances GROUP BY study_instance_uid, series_instance_uid ORDER BY study_instance_uid, series_instance_uid`,
    )
    .all() as SeriesRow[];
  const studies = new Map<string, SeriesRow[]>();
  for (const s of series) studies.set(s.study_instance_uid, [...(studies.get(s.study_instance_uid) ?? []), s]);
  const keys = Object.keys(query).filter((k) => k !== 'QueryRetrieveLevel' && !k.startsWith('_') && k !== 'SpecificCharacterSet');
  const out: Record<string, unknown>[] = [];
  const headers = new Map<string, Record<string, unknown>>();
  // Series-level keys (Series Description, …) come from that series' first file.
  const header = (s: SeriesRow) => {
    const id = level === 'SERIES' ? s.series_instance_uid : s.study_instance_uid;
    return headers.get(id) ?? headers.set(id, headerOf(s.path)).get(id)!;
  };
  const candidates = level === 'STUDY' ? [...studies.values()].map((ss) => ss[0]!) : series;
  for (const s of candidates) {
    const inStudy = studies.get(s.study_instance_uid)!;
    const known: Record<string, () => string> = {
      StudyInstanceUID: () => s.study_instance_uid,
      PatientID: () => s.patient_id,
      AccessionNumber: () => s.accession_number,
      StudyDate: () => s.study_date,
      ModalitiesInStudy: () => [...new Set(inStudy.map((x) => x.modality))].join('\\'),
      NumberOfStudyRelatedSeries: () => String(inStudy.length),
      NumberOfStudyRelatedInstances: () => String(inStudy.reduce((n, x) => n + x.instances, 0)),
      ...(level === 'SERIES'
        ? {
            SeriesInstanceUID: () => s.series_instance_uid,
            Modality: () => s.modality,
            BodyPartExamined: () => s.body_part,
            NumberOfSeriesRelatedInstances: () => String(s.instances),
          }
        : {}),
    };
    const value = (k: string): string => (known[k] ? known[k]() : text(header(s)[k]));
    if (!keys.every((k) => matches(k, query[k], value(k)))) continue;
    const row: Record<string, unknown> = { QueryRetrieveLevel: level };
    for (const k of keys) {
      const v = value(k);
      row[k] = k === 'PatientName' || k === 'ReferringPhysicianName' ? (v ? [{ Alphabetic: v }] : '') : k.startsWith('NumberOf') ? Number(v) : k === 'ModalitiesInStudy' ? v.split('\\') : v;
    }
    // The unique keys above the level are always returned (PS3.4 C.4.1.2.1).
    row['StudyInstanceUID'] = s.study_instance_uid;
    if (level === 'SERIES') row['SeriesInstanceUID'] = s.series_instance_uid;
    out.push(row);
  }
  return out;
}
