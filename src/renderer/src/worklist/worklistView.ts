/**
 * What the worklist table shows of the node's studies: the radiographer's filters (text, modality,
 * AI status, study date range), combined with AND, then the chosen column sort. Pure functions
 * over the `dicom.worklist` rows, so the unit tests and the room use the same rules.
 *
 * Sorting is stable (equal keys keep the node's order: newest received first), compares study
 * dates as calendar dates and numbers as numbers, and always puts a missing value (no name, no
 * study date, no modality) after the present ones, whichever the direction: a blank never heads
 * the list. The same rules order the PACS search results (pacsView.ts), through `sortRows` and
 * `studyKey`.
 */
import type { StudyIdentity, WorklistStudy } from '../../../shared/dicom';
import { formatPersonName } from '../viewer/annotations';

type AiStatus = WorklistStudy['aiStatus'];

export const SORT_KEYS = ['patient', 'date', 'modality', 'description', 'images', 'ai'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';
export interface WorklistSort {
  key: SortKey;
  dir: SortDir;
}

export const DATE_RANGES = ['all', 'today', 'week'] as const;
export type DateRange = (typeof DATE_RANGES)[number];
export const AI_FILTERS = ['all', 'findings', 'no-findings', 'not-run', 'running', 'failed'] as const;
export type AiFilter = (typeof AI_FILTERS)[number];

export interface WorklistFilter {
  /** Words matched (all of them, case- and accent-blind) in patient name / ID, accession and description. */
  text: string;
  /** One modality ('' = any): a study matches when any of its series has it. */
  modality: string;
  ai: AiFilter;
  /** By study date, in the local calendar: today, or the last 7 days including today. */
  date: DateRange;
}

export const NO_FILTER: WorklistFilter = { text: '', modality: '', ai: 'all', date: 'all' };

export function isFiltered(f: WorklistFilter): boolean {
  return f.text.trim() !== '' || f.modality !== '' || f.ai !== 'all' || f.date !== 'all';
}

/** The first click on a column sorts it ascending, the next flips it. */
export function nextSort<K extends string>(current: { key: K; dir: SortDir } | null, key: K): { key: K; dir: SortDir } {
  return current?.key === key ? { key, dir: current.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: 'asc' };
}

/**
 * DICOM DA (`YYYYMMDD`, or the old `YYYY.MM.DD`) → days since 1970-01-01, or null when it is
 * empty or no real calendar date (20240230): a bad date sorts as missing rather than as text.
 */
export function studyDay(da: string): number | null {
  const m = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(da.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return t / 86_400_000;
}

/** The local calendar day of `now`, on the same scale as `studyDay` (a study date has no time zone: it is the site's day). */
export function localDay(now: Date): number {
  return Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()) / 86_400_000;
}

const fold = (s: string) => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

function haystack(s: WorklistStudy): string {
  // The raw PN (Family^Given) and the shown form ("Family, Given"), so either typed form matches.
  return fold([s.patientName, formatPersonName(s.patientName), s.patientId, s.accessionNumber, s.description].join('\n'));
}

export function matchesFilter(s: WorklistStudy, f: WorklistFilter, now: Date): boolean {
  if (f.modality !== '' && !s.modalities.includes(f.modality)) return false;
  if (f.ai !== 'all' && s.aiStatus !== f.ai) return false;
  if (f.date !== 'all') {
    const day = studyDay(s.studyDate);
    const today = localDay(now);
    // A study without a (valid) date cannot be shown to fall in the range.
    if (day === null || day > today || day < (f.date === 'today' ? today : today - 6)) return false;
  }
  const words = fold(f.text).split(/\s+/).filter(Boolean);
  if (words.length > 0) {
    const hay = haystack(s);
    if (!words.every((w) => hay.includes(w))) return false;
  }
  return true;
}

/** Reading order of the AI column: what needs the reader first (findings, then failures), clean studies last. */
const AI_RANK: Record<AiStatus, number> = { findings: 0, failed: 1, running: 2, 'not-run': 3, 'no-findings': 4 };

/** A row's value in the sorted column: text (collated), a number, or null when missing. */
export type SortValue = string | number | null;

/** The columns every study table has (StudyColumns.tsx). */
export type StudyColumnKey = 'patient' | 'date' | 'modality' | 'description';

const orNull = (v: string): string | null => (v.trim() === '' ? null : v.trim());

/** The sort value of a study column, for the worklist rows and the PACS matches alike. */
export function studyKey(s: StudyIdentity, key: StudyColumnKey): SortValue {
  switch (key) {
    case 'patient':
      // By the name as shown; a study without a name sorts by its patient ID among the named ones.
      return orNull(formatPersonName(s.patientName)) ?? orNull(s.patientId);
    case 'date':
      return studyDay(s.studyDate);
    case 'modality':
      return s.modalities.length ? s.modalities.join(', ') : null;
    case 'description':
      return orNull(s.description);
  }
}

/** A text column's value: trimmed, null when blank. */
export const textKey = orNull;

function keyOf(s: WorklistStudy, key: SortKey): SortValue {
  switch (key) {
    case 'images':
      return s.instances;
    case 'ai':
      return AI_RANK[s.aiStatus];
    default:
      return studyKey(s, key);
  }
}

const collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

function compareKeys(a: Exclude<SortValue, null>, b: Exclude<SortValue, null>): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return collator.compare(String(a), String(b));
}

/** Rows ordered by `value` in `dir`: stable, missing values last in both directions. */
export function sortRows<T>(rows: readonly T[], value: (row: T) => SortValue, dir: SortDir): T[] {
  const sign = dir === 'asc' ? 1 : -1;
  const keyed = rows.map((s, i) => ({ s, i, k: value(s) }));
  keyed.sort((x, y) => {
    // Missing last in both directions; ties keep the incoming order (explicitly, not by reversing).
    if (x.k === null || y.k === null) return x.k === y.k ? x.i - y.i : x.k === null ? 1 : -1;
    return sign * compareKeys(x.k, y.k) || x.i - y.i;
  });
  return keyed.map((k) => k.s);
}

export function sortStudies(rows: readonly WorklistStudy[], sort: WorklistSort | null): WorklistStudy[] {
  return sort ? sortRows(rows, (s) => keyOf(s, sort.key), sort.dir) : [...rows];
}

/** The rows to show and how many the node has: "N of M studies". */
export function worklistView(rows: readonly WorklistStudy[], filter: WorklistFilter, sort: WorklistSort | null, now: Date): { rows: WorklistStudy[]; total: number } {
  return { rows: sortStudies(rows.filter((s) => matchesFilter(s, filter, now)), sort), total: rows.length };
}

/** The message of "N of M studies": singular when the node has exactly one study ("1 of 1 study", "0 of 1 study"). */
export function studyCountKey(total: number): 'worklist.filter.count' | 'worklist.filter.count.one' {
  return total === 1 ? 'worklist.filter.count.one' : 'worklist.filter.count';
}

/** The modalities present, for the modality filter's choices (sorted). */
export function modalitiesOf(rows: readonly WorklistStudy[]): string[] {
  return [...new Set(rows.flatMap((s) => s.modalities))].sort();
}
