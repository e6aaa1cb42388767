/** The de-identifier's rules one by one, on a real history (its key and AI vocabulary come from the database). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/core/history/index';
import { pseudonym } from '../../../src/core/dicomnet/deid';
import { deidKey } from '../../../src/core/dicomnet/node';
import { derivedUid } from '../../../src/core/dicomnet/uid';
import { Deidentifier, REMOVED } from '../../../src/core/reports/index';
import { sampleRecord, tempDir } from '../history/support';

describe('Deidentifier', () => {
  const t = tempDir('inspector-deid-unit-');
  let store: HistoryStore;
  let d: Deidentifier;
  let key: string;
  beforeAll(() => {
    store = HistoryStore.open(t.file);
    store.recordInferences([sampleRecord(0, { verdict: 'normal' }), sampleRecord(1, { verdict: 'pneumonia' })]);
    d = Deidentifier.open(store, { uidRoot: '1.2.826.0.1.3680043.10.543' });
    key = deidKey(store.db);
  });
  afterAll(() => {
    store.close();
    t.cleanup();
  });

  it('patient ids and UIDs: the node\'s functions with the installation key (made once, kept)', () => {
    expect(d.patientId('PAT-77')).toBe(pseudonym('PAT-77', key));
    expect(d.uid('1.2.3.4')).toBe(derivedUid('1.2.826.0.1.3680043.10.543', `${key}\0${'1.2.3.4'}`));
    expect(Deidentifier.open(store, { uidRoot: '1.2.826.0.1.3680043.10.543' }).patientId('PAT-77')).toBe(d.patientId('PAT-77'));
  });

  it('paths: folders and names gone, extension kept when plain, stable per path, different per path', () => {
    const a = d.path('/data/DOE^JANE/12345/IM0001.DCM');
    expect(a).toMatch(/^IMG-[0-9A-F]{12}\.dcm$/);
    expect(d.path('/data/DOE^JANE/12345/IM0001.DCM')).toBe(a);
    expect(d.path('/data/DOE^JANE/12345/IM0002.DCM')).not.toBe(a);
    // Windows separators name the same file as forward slashes.
    expect(d.path('C:\\data\\x.png')).toBe(d.path('C:/data/x.png'));
    expect(d.path('/data/Jane Doe/scan.final version')).toMatch(/^IMG-[0-9A-F]{12}$/);
  });

  it('case keys: UIDs derived, anything else hashed', () => {
    expect(d.caseKey('1.2.840.113619.2.55.3')).toBe(d.uid('1.2.840.113619.2.55.3'));
    expect(d.caseKey('ACC-2024-0001')).toMatch(/^CASE-[0-9A-F]{12}$/);
    expect(d.caseKey('/data/DOE^JANE')).toMatch(/^CASE-[0-9A-F]{12}$/);
  });

  it('labels: the AI\'s own classes kept, others removed; free text removed, absence kept', () => {
    expect(d.label('pneumonia')).toBe('pneumonia');
    expect(d.label('Mr Kim said dent')).toBe(REMOVED);
    expect(d.label('opacity', ['opacity'])).toBe('opacity');
    expect(d.label(null)).toBeNull();
    expect(d.text('call Jane')).toBe(REMOVED);
    expect(d.text(null)).toBeNull();
    expect(d.reviewText('override -> Jane')).toBe(`override -> ${REMOVED}`);
    expect(d.reviewText('override -> normal')).toBe('override -> normal');
  });

  it('error messages: the file named by its IMG- name, any other path removed', () => {
    const f = '/data/DOE^JANE/IM1.dcm';
    expect(d.message(`Cannot read ${f}: see /var/log/DOE^JANE.txt`, f)).toBe(`Cannot read ${d.path(f)}: see [path]`);
    expect(d.message('C:\\Users\\jdoe\\x.dcm is empty', null)).toBe('[path] is empty');
  });

  it('filters: the typed search text removed, the rest kept', () => {
    expect(d.filters({ from: '2025-01-01T00:00:00.000Z', case_key_contains: 'DOE' })).toEqual({ from: '2025-01-01T00:00:00.000Z', case_key_contains: REMOVED });
  });

  it('a bad UID root is refused', () => {
    expect(() => Deidentifier.open(store, { uidRoot: '1.02.x' })).toThrow(expect.objectContaining({ code: 'DICOM_UID_INVALID' }) as Error);
  });
});
