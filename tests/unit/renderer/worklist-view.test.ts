import { describe, expect, it } from 'vitest';
import type { WorklistStudy } from '../../../src/shared/dicom';
import { isFiltered, matchesFilter, modalitiesOf, nextSort, NO_FILTER, sortStudies, studyDay, worklistView, type WorklistFilter } from '../../../src/renderer/src/worklist/worklistView';

const study = (uid: string, s: Partial<WorklistStudy> = {}): WorklistStudy => ({
  studyInstanceUid: uid,
  patientId: '',
  patientName: '',
  studyDate: '',
  accessionNumber: '',
  description: '',
  modalities: [],
  series: 1,
  instances: 1,
  from: ['MODALITY1'],
  aiStatus: 'not-run',
  nodeStatus: 'received',
  errorCode: null,
  batchId: null,
  runIds: [],
  folder: `/inbox/${uid}`,
  updatedAt: 0,
  outbox: { pending: 0, sent: 0, failed: 0, lastErrorCode: null, nextAttemptAt: null },
  ...s,
});

// The node's order: newest received first.
const ROWS = [
  study('1', { patientName: 'Zeta^Anna', patientId: 'P-003', studyDate: '20261206', modalities: ['OT'], description: 'Knee left', accessionNumber: 'ACC-300', instances: 3, aiStatus: 'findings' }),
  study('2', { patientName: 'alpha^Ben', patientId: 'P-001', studyDate: '20240315', modalities: ['MR'], description: 'HEAD routine', accessionNumber: 'ACC-100', instances: 12, aiStatus: 'no-findings' }),
  study('3', { patientName: '', patientId: 'P-009', studyDate: '', modalities: [], description: '', instances: 2, aiStatus: 'failed' }),
  study('4', { patientName: 'Mid^Cara', patientId: 'P-002', studyDate: '20261202', modalities: ['CT', 'SR'], description: 'Chest PA', accessionNumber: 'ACC-200', instances: 100, aiStatus: 'running' }),
  study('5', { patientName: 'Émile^Dan', patientId: 'P-004', studyDate: '2026.11.29', modalities: ['OT'], description: 'Hand', instances: 3, aiStatus: 'findings' }),
  study('6', { patientName: '', patientId: '', studyDate: '20240230', modalities: ['CT'], description: 'Knee right', instances: 3 }),
];
const uids = (rows: WorklistStudy[]) => rows.map((r) => r.studyInstanceUid);
const NOW = new Date(2026, 11, 6, 15, 30); // local 2026-12-06

describe('worklist sort', () => {
  it('by patient: the shown name, case- and accent-blind, a nameless study by its ID, no name and no ID last either way', () => {
    expect(uids(sortStudies(ROWS, { key: 'patient', dir: 'asc' }))).toEqual(['2', '5', '4', '3', '1', '6']);
    expect(uids(sortStudies(ROWS, { key: 'patient', dir: 'desc' }))).toEqual(['1', '3', '4', '5', '2', '6']);
  });

  it('by study date as a calendar date (DA and the old dotted form); no date and an impossible date last in both directions', () => {
    expect(uids(sortStudies(ROWS, { key: 'date', dir: 'asc' }))).toEqual(['2', '5', '4', '1', '3', '6']);
    expect(uids(sortStudies(ROWS, { key: 'date', dir: 'desc' }))).toEqual(['1', '4', '5', '2', '3', '6']);
  });

  it('by images as numbers (100 after 12), stable among equal counts in both directions', () => {
    expect(uids(sortStudies(ROWS, { key: 'images', dir: 'asc' }))).toEqual(['3', '1', '5', '6', '2', '4']);
    expect(uids(sortStudies(ROWS, { key: 'images', dir: 'desc' }))).toEqual(['4', '2', '1', '5', '6', '3']);
  });

  it('by modality and description as text, missing last; by AI status findings first', () => {
    expect(uids(sortStudies(ROWS, { key: 'modality', dir: 'asc' }))).toEqual(['6', '4', '2', '1', '5', '3']);
    expect(uids(sortStudies(ROWS, { key: 'description', dir: 'asc' }))).toEqual(['4', '5', '2', '1', '6', '3']);
    expect(uids(sortStudies(ROWS, { key: 'description', dir: 'desc' }))).toEqual(['6', '1', '2', '5', '4', '3']);
    expect(uids(sortStudies(ROWS, { key: 'ai', dir: 'asc' }))).toEqual(['1', '5', '3', '4', '6', '2']);
  });

  it('no sort keeps the node order and never mutates the input', () => {
    const before = uids(ROWS);
    expect(uids(sortStudies(ROWS, null))).toEqual(before);
    sortStudies(ROWS, { key: 'patient', dir: 'desc' });
    expect(uids(ROWS)).toEqual(before);
  });

  it('a header click sorts ascending, the next click flips, another column starts ascending', () => {
    expect(nextSort(null, 'date')).toEqual({ key: 'date', dir: 'asc' });
    expect(nextSort({ key: 'date', dir: 'asc' }, 'date')).toEqual({ key: 'date', dir: 'desc' });
    expect(nextSort({ key: 'date', dir: 'desc' }, 'date')).toEqual({ key: 'date', dir: 'asc' });
    expect(nextSort({ key: 'date', dir: 'desc' }, 'patient')).toEqual({ key: 'patient', dir: 'asc' });
  });

  it('studyDay reads real dates only', () => {
    expect(studyDay('19700102')).toBe(1);
    expect(studyDay('1970.01.02')).toBe(1);
    expect(studyDay('20240229')).not.toBeNull();
    expect(studyDay('20230229')).toBeNull();
    expect(studyDay('2024-01-02')).toBeNull();
    expect(studyDay('')).toBeNull();
  });
});

describe('worklist filter', () => {
  const only = (f: Partial<WorklistFilter>) => uids(ROWS.filter((s) => matchesFilter(s, { ...NO_FILTER, ...f }, NOW)));

  it('text matches patient name (as stored or as shown), patient ID, accession and description; every word must match', () => {
    expect(only({ text: 'acc-200' })).toEqual(['4']);
    expect(only({ text: 'p-00' })).toEqual(['1', '2', '3', '4', '5']);
    expect(only({ text: 'KNEE' })).toEqual(['1', '6']);
    expect(only({ text: 'knee left' })).toEqual(['1']);
    expect(only({ text: 'alpha, ben' })).toEqual(['2']);
    expect(only({ text: 'Zeta^Anna' })).toEqual(['1']);
    expect(only({ text: 'emile' })).toEqual(['5']);
    expect(only({ text: '   ' })).toEqual(uids(ROWS));
    expect(only({ text: 'nobody' })).toEqual([]);
  });

  it('modality matches any series of the study; AI status exactly', () => {
    expect(only({ modality: 'CT' })).toEqual(['4', '6']);
    expect(only({ modality: 'SR' })).toEqual(['4']);
    expect(only({ ai: 'findings' })).toEqual(['1', '5']);
    expect(only({ ai: 'not-run' })).toEqual(['6']);
  });

  it('date range by the local calendar: today, the last 7 days including today; no or bad date never in a range', () => {
    expect(only({ date: 'today' })).toEqual(['1']);
    expect(only({ date: 'week' })).toEqual(['1', '4']);
    // 2026-11-29 is 7 days before: outside "last 7 days" on the 6th, inside on the 5th.
    expect(uids(ROWS.filter((s) => matchesFilter(s, { ...NO_FILTER, date: 'week' }, new Date(2026, 11, 5, 9))))).toEqual(['4', '5']);
    // A study dated tomorrow is not "today".
    expect(uids(ROWS.filter((s) => matchesFilter(s, { ...NO_FILTER, date: 'today' }, new Date(2026, 11, 5, 23, 59))))).toEqual([]);
  });

  it('filters combine with AND; the view sorts what is left and counts the whole list', () => {
    expect(only({ modality: 'OT', ai: 'findings', text: 'hand' })).toEqual(['5']);
    expect(only({ modality: 'OT', date: 'week' })).toEqual(['1']);
    expect(only({ modality: 'MR', ai: 'findings' })).toEqual([]);
    const v = worklistView(ROWS, { ...NO_FILTER, modality: 'OT' }, { key: 'patient', dir: 'asc' }, NOW);
    expect(uids(v.rows)).toEqual(['5', '1']);
    expect(v.total).toBe(6);
    expect(isFiltered(NO_FILTER)).toBe(false);
    expect(isFiltered({ ...NO_FILTER, text: ' x ' })).toBe(true);
    expect(isFiltered({ ...NO_FILTER, date: 'today' })).toBe(true);
    expect(modalitiesOf(ROWS)).toEqual(['CT', 'MR', 'OT', 'SR']);
  });
});
