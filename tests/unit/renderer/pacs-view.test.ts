/**
 * The PACS search results' column sort (pacsView.ts, on worklistView.ts's rules) and the
 * worklist count's singular, in both languages.
 */
import { describe, expect, it } from 'vitest';
import { sortMatches, type StudyMatch } from '../../../src/renderer/src/worklist/pacsView';
import { dicomUiEn, dicomUiKo } from '../../../src/renderer/src/worklist/messages';
import { studyCountKey } from '../../../src/renderer/src/worklist/worklistView';

const match = (uid: string, m: Partial<StudyMatch> = {}): StudyMatch => ({
  studyInstanceUid: uid,
  patientId: '',
  patientName: '',
  studyDate: '',
  accessionNumber: '',
  description: '',
  modalities: [],
  instances: null,
  ...m,
});

// The PACS's answer order.
const ROWS = [
  match('a', { patientName: 'Zeta^Anna', patientId: 'P3', studyDate: '20261206', modalities: ['CT'], description: 'Chest', accessionNumber: 'ACC-20', instances: 28 }),
  match('b', { patientName: 'alpha^Ben', patientId: 'P1', studyDate: '20240315', modalities: ['CR'], description: 'hand', accessionNumber: 'ACC-3', instances: 1 }),
  match('c', { patientName: '', patientId: '', studyDate: '', modalities: [], description: '', accessionNumber: '', instances: null }),
  match('d', { patientName: 'Émile^Dan', patientId: 'P4', studyDate: '2026.11.29', modalities: ['MR', 'SR'], description: 'Brain', accessionNumber: 'ACC-100', instances: 300 }),
  match('e', { patientName: '', patientId: 'P2', studyDate: '20240230', modalities: ['CT'], description: 'Abdomen', accessionNumber: 'acc-20', instances: 28 }),
];
const uids = (rows: StudyMatch[]) => rows.map((r) => r.studyInstanceUid);

describe('PACS results sort', () => {
  it('no sort: the PACS order, as a copy', () => {
    const out = sortMatches(ROWS, null);
    expect(uids(out)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(out).not.toBe(ROWS);
  });

  it('by patient as shown (accent- and case-blind), a nameless match by its ID, none last either way', () => {
    expect(uids(sortMatches(ROWS, { key: 'patient', dir: 'asc' }))).toEqual(['b', 'd', 'e', 'a', 'c']);
    expect(uids(sortMatches(ROWS, { key: 'patient', dir: 'desc' }))).toEqual(['a', 'e', 'd', 'b', 'c']);
  });

  it('by study date as a calendar date; none and an impossible one (20240230) last either way', () => {
    expect(uids(sortMatches(ROWS, { key: 'date', dir: 'asc' }))).toEqual(['b', 'd', 'a', 'c', 'e']);
    expect(uids(sortMatches(ROWS, { key: 'date', dir: 'desc' }))).toEqual(['a', 'd', 'b', 'c', 'e']);
  });

  it('by accession with numbers as numbers (ACC-3 < ACC-20 < ACC-100), case-blind ties stable, blank last', () => {
    expect(uids(sortMatches(ROWS, { key: 'accession', dir: 'asc' }))).toEqual(['b', 'a', 'e', 'd', 'c']);
    expect(uids(sortMatches(ROWS, { key: 'accession', dir: 'desc' }))).toEqual(['d', 'a', 'e', 'b', 'c']);
  });

  it('by images as numbers, an unknown count (null) last either way; by modality and description as text', () => {
    expect(uids(sortMatches(ROWS, { key: 'images', dir: 'asc' }))).toEqual(['b', 'a', 'e', 'd', 'c']);
    expect(uids(sortMatches(ROWS, { key: 'images', dir: 'desc' }))).toEqual(['d', 'a', 'e', 'b', 'c']);
    expect(uids(sortMatches(ROWS, { key: 'modality', dir: 'asc' }))).toEqual(['b', 'a', 'e', 'd', 'c']);
    expect(uids(sortMatches(ROWS, { key: 'description', dir: 'asc' }))).toEqual(['e', 'd', 'a', 'b', 'c']);
  });
});

describe('worklist count', () => {
  const text = (lang: Record<string, string>, shown: number, total: number) => lang[studyCountKey(total)]!.replace('{shown}', String(shown)).replace('{total}', String(total));

  it('singular only when the node has one study', () => {
    expect(text(dicomUiEn, 1, 1)).toBe('1 of 1 study');
    expect(text(dicomUiEn, 0, 1)).toBe('0 of 1 study');
    expect(text(dicomUiEn, 1, 5)).toBe('1 of 5 studies');
    expect(text(dicomUiEn, 0, 0)).toBe('0 of 0 studies');
    expect(text(dicomUiKo, 1, 1)).toBe('검사 1건 중 1건');
    expect(text(dicomUiKo, 2, 7)).toBe('검사 7건 중 2건');
  });
});
