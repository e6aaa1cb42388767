import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDicomConfig, parseAddress, parseDicomConfig } from '../../../src/core/dicomnet/config';
import { packFor } from '../../../src/core/dicomnet/rules';
import { splitByVolume } from '../../../src/core/dicomnet/autoVolume';
import { splitBySr } from '../../../src/core/dicomnet/node';
import { destinationLabel } from '../../../src/core/dicomnet/outbox';
import { StudyQueryInput } from '../../../src/shared/dicom';
import { toStudyMatch } from '../../../src/core/dicomnet/queryRetrieve';
import { checkUid, derivedUid, newUid } from '../../../src/core/dicomnet/uid';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'no error';
};

describe('dicom.yaml', () => {
  it('reads the issue example with defaults: loopback, 5 s stable age, 2.25 UIDs', () => {
    const c = parseDicomConfig(
      [
        'ae_title: INSPECTOR',
        'port: 11112',
        'allow: [{ aet: PACS1, host: 127.0.0.1 }]',
        'auto_inspect:',
        '  - when: { modality: CR }',
        '    pack: chest-xray-pneumonia',
        'send_results:',
        '  - { aet: PACS1, host: 127.0.0.1, port: 4242, objects: [sr, sc] }',
        '  - { url: "http://127.0.0.1:8042/dicom-web", objects: [sr] }',
      ].join('\n'),
    );
    expect(c).toMatchObject({ ae_title: 'INSPECTOR', port: 11112, bind: '127.0.0.1', stable_seconds: 5, uid_root: '2.25' });
    expect(c.allow).toEqual([{ aet: 'PACS1', host: '127.0.0.1' }]);
    expect(c.auto_inspect[0]).toEqual({ when: { modality: 'CR' }, pack: 'chest-xray-pneumonia' });
    expect(c.send_results[1]).toEqual({ url: 'http://127.0.0.1:8042/dicom-web', objects: ['sr'] });
  });

  it('send_reviewed, tls and query: defaults, relative certificate paths, tls destinations need a tls section', () => {
    const dir = mkdtempSync(join(os.tmpdir(), 'inspector-dicomcfg-'));
    const file = join(dir, 'dicom.yaml');
    writeFileSync(
      file,
      [
        'send_reviewed:',
        '  to: [{ aet: PACS1, host: 10.0.0.5, port: 2762, tls: true }, { url: "https://pacs.example/dicom-web" }]',
        'tls: { cert: certs/node.crt, key: certs/node.key, ca: /etc/plant/ca.crt }',
        'query: { aet: PACS1, host: 10.0.0.5, port: 2762, tls: true }',
      ].join('\n'),
    );
    const c = loadDicomConfig(file);
    expect(c.send_reviewed!.on).toEqual(['accept', 'reject', 'override']);
    expect(c.send_reviewed!.to[0]).toMatchObject({ aet: 'PACS1', tls: true });
    expect(c.tls).toEqual({ cert: join(dir, 'certs/node.crt'), key: join(dir, 'certs/node.key'), ca: '/etc/plant/ca.crt', require_client_cert: true, reload_seconds: 60 });
    expect(c.query).toEqual({ aet: 'PACS1', host: '10.0.0.5', port: 2762, tls: true, retrieve: 'get' });
    expect(codeOf(() => parseDicomConfig('send_results: [{ aet: P, host: h, port: 1, tls: true }]'))).toBe('DICOM_CONFIG_INVALID');
    expect(codeOf(() => parseDicomConfig('send_reviewed: { on: [approve], to: [{ url: "http://x/dicom-web" }] }'))).toBe('DICOM_CONFIG_INVALID');
    expect(codeOf(() => parseDicomConfig('send_reviewed: { to: [] }'))).toBe('DICOM_CONFIG_INVALID');
  });

  it('tls.reload_seconds: 60 by default, 0 turns the reload off, fractions allowed; negative, over a day or not a number is refused', () => {
    const tls = (extra: string) => parseDicomConfig(`tls: { cert: a.crt, key: a.key, ca: ca.crt${extra} }`).tls!.reload_seconds;
    expect(tls('')).toBe(60);
    expect(tls(', reload_seconds: 0')).toBe(0);
    expect(tls(', reload_seconds: 0.2')).toBe(0.2);
    expect(tls(', reload_seconds: 86400')).toBe(86400);
    expect(codeOf(() => tls(', reload_seconds: -1'))).toBe('DICOM_CONFIG_INVALID');
    expect(codeOf(() => tls(', reload_seconds: 86401'))).toBe('DICOM_CONFIG_INVALID');
    expect(codeOf(() => tls(', reload_seconds: soon'))).toBe('DICOM_CONFIG_INVALID');
    expect(codeOf(() => tls(', reload_secs: 5'))).toBe('DICOM_CONFIG_INVALID');
  });

  it('the worklist search keys: wildcards pass, backslash (a DICOM value separator) and control characters do not; C-FIND and QIDO answers read alike', () => {
    expect(StudyQueryInput.safeParse({ patientName: 'DOE*', studyDate: '20040801-', modality: 'CR' }).success).toBe(true);
    expect(StudyQueryInput.safeParse({ patientId: 'A\\B' }).success).toBe(false);
    expect(StudyQueryInput.safeParse({ accessionNumber: 'A\u0001' }).success).toBe(false);
    expect(StudyQueryInput.safeParse({ studyDate: '2004-08-01' }).success).toBe(false);
    expect(StudyQueryInput.safeParse({ modality: 'CR', extra: 1 }).success).toBe(false);
    const fromFind = toStudyMatch({ StudyInstanceUID: '1.2.3', PatientID: 'P1', PatientName: 'Doe^J', StudyDate: '20040826', ModalitiesInStudy: 'CT\\SR', NumberOfStudyRelatedInstances: '28' });
    const fromQido = toStudyMatch({ '0020000D': '1.2.3', '00100020': 'P1', '00100010': 'Doe^J', '00080020': '20040826', '00080061': 'CT\\SR', '00201208': '28' });
    expect(fromFind).toEqual(fromQido);
    expect(fromFind).toMatchObject({ modalities: ['CT', 'SR'], instances: 28, accessionNumber: '' });
    expect(toStudyMatch({ StudyInstanceUID: '1.2.3' }).instances).toBeNull();
  });

  it('send_results volume: absent means one multi-frame map per series, false means per slice, anything else is refused', () => {
    const c = parseDicomConfig(
      [
        'send_results:',
        '  - { aet: PACS1, host: 127.0.0.1, port: 4242, objects: [sr, pmap] }',
        '  - { aet: PACS2, host: 127.0.0.1, port: 4243, objects: [pmap, seg], volume: false }',
        '  - { url: "http://127.0.0.1:8042/dicom-web", objects: [seg], volume: true }',
      ].join('\n'),
    );
    expect(c.send_results.map((d) => d.volume)).toEqual([undefined, false, true]);
    const { volume, perSlice } = splitByVolume(c.send_results);
    expect(volume.map(destinationLabel)).toEqual(['PACS1@127.0.0.1:4242', 'http://127.0.0.1:8042/dicom-web']);
    expect(perSlice.map(destinationLabel)).toEqual(['PACS2@127.0.0.1:4243']);
    let err: { code?: string; details?: { issues?: string[] } } = {};
    try {
      parseDicomConfig('send_results: [{ aet: P, host: h, port: 1, objects: [pmap], volume: "no" }]');
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.code).toBe('DICOM_CONFIG_INVALID');
    expect(err.details?.issues?.[0]).toMatch(/^send_results\.0\.volume: .*expected boolean/);
  });

  it('send_results sr: absent means one SR per run, per_study one per study, anything else (and per_study for reviewed SRs) is refused', () => {
    const c = parseDicomConfig(
      [
        'send_results:',
        '  - { aet: PACS1, host: 127.0.0.1, port: 4242, objects: [sr, sc] }',
        '  - { aet: PACS2, host: 127.0.0.1, port: 4243, objects: [sr], sr: per_study, deidentify: true }',
        '  - { url: "http://127.0.0.1:8042/dicom-web", objects: [sr], sr: per_run }',
        'send_reviewed: { to: [{ aet: PACS1, host: 127.0.0.1, port: 4242, sr: per_run }] }',
      ].join('\n'),
    );
    expect(c.send_results.map((d) => d.sr)).toEqual([undefined, 'per_study', 'per_run']);
    const { perStudy, perRun } = splitBySr(c.send_results);
    expect(perStudy.map(destinationLabel)).toEqual(['PACS2@127.0.0.1:4243']);
    expect(perRun.map(destinationLabel)).toEqual(['PACS1@127.0.0.1:4242', 'http://127.0.0.1:8042/dicom-web']);
    const issuesOf = (text: string) => {
      try {
        parseDicomConfig(text);
      } catch (e) {
        return [(e as { code: string }).code, ...((e as { details: { issues: string[] } }).details.issues ?? [])];
      }
      return ['no error'];
    };
    const bad = issuesOf('send_results: [{ aet: P, host: h, port: 1, objects: [sr], sr: per_series }]');
    expect(bad[0]).toBe('DICOM_CONFIG_INVALID');
    expect(bad[1]).toMatch(/^send_results\.0\.sr: .*per_run.*per_study/);
    const reviewed = issuesOf('send_reviewed: { to: [{ url: "http://x/dicom-web", sr: per_study }] }');
    // Reviewed SRs may go as the re-issued study report (node.ts queueReviewSrs).
    expect(reviewed).toEqual(['no error']);
  });

  it('names what is wrong with a coded error', () => {
    expect(codeOf(() => parseDicomConfig('ae_title: THIS-AE-TITLE-IS-TOO-LONG'))).toBe('DICOM_CONFIG_INVALID');
    expect(codeOf(() => parseDicomConfig('port: 70000'))).toBe('DICOM_CONFIG_INVALID');
    expect(codeOf(() => parseDicomConfig('auto_inspect: [{ when: {}, pack: x }]'))).toBe('DICOM_CONFIG_INVALID');
    expect(codeOf(() => parseDicomConfig('send_results: [{ aet: P, host: h, port: 1, objects: [pdf] }]'))).toBe('DICOM_CONFIG_INVALID');
    expect(codeOf(() => parseDicomConfig('uid_root: 1.02.3'))).toBe('DICOM_CONFIG_INVALID');
    expect(codeOf(() => parseDicomConfig('aetitle: X'))).toBe('DICOM_CONFIG_INVALID'); // misspelt key
    expect(codeOf(() => parseDicomConfig('port: [oops'))).toBe('DICOM_CONFIG_UNREADABLE');
    expect(codeOf(() => loadDicomConfig('/nonexistent/dicom.yaml'))).toBe('DICOM_CONFIG_NOT_FOUND');
    const dir = mkdtempSync(join(os.tmpdir(), 'dicomcfg-'));
    writeFileSync(join(dir, 'd.yaml'), 'port: 104\n');
    expect(loadDicomConfig(join(dir, 'd.yaml')).port).toBe(104);
  });

  it('parses AET@host:port', () => {
    expect(parseAddress('PACS1@127.0.0.1:4242')).toMatchObject({ aet: 'PACS1', host: '127.0.0.1', port: 4242 });
    expect(codeOf(() => parseAddress('PACS1:4242'))).toBe('USAGE');
    expect(codeOf(() => parseAddress('PACS1@h:99999'))).toBe('USAGE');
  });
});

describe('auto_inspect rules', () => {
  const rules = parseDicomConfig(
    ['auto_inspect:', '  - { when: { modality: CR, body_part: chest }, pack: chest }', '  - { when: { station_name: CT7 }, pack: battery }', '  - { when: { sop_class: 1.2.3 }, pack: other }'].join('\n'),
  ).auto_inspect;
  const a = { modality: 'CR', body_part: 'CHEST', sop_class: '1.2.840.10008.5.1.4.1.1.1', station_name: 'X' };
  it('first rule whose conditions all hold wins; text is case-insensitive', () => {
    expect(packFor(rules, a)).toBe('chest');
    expect(packFor(rules, { ...a, body_part: 'HAND' })).toBeNull();
    expect(packFor(rules, { ...a, modality: 'CT', station_name: 'ct7' })).toBe('battery');
    expect(packFor(rules, { ...a, modality: 'OT', sop_class: '1.2.3' })).toBe('other');
  });
  it('never inspects SR, SEG or presentation states (our own results coming back)', () => {
    expect(packFor(rules, { ...a, sop_class: '1.2.840.10008.5.1.4.1.1.88.33' })).toBeNull();
    expect(packFor(rules, { ...a, sop_class: '1.2.840.10008.5.1.4.1.1.66.4' })).toBeNull();
  });
});

describe('UIDs', () => {
  it('are valid and at most 64 characters, under 2.25 or an organisation root', () => {
    for (let i = 0; i < 200; i++) {
      const a = newUid('2.25');
      const b = newUid('1.2.826.0.1.3680043.10.1234567890.123456');
      expect(a).toMatch(/^2\.25\.[1-9][0-9]*$/);
      expect(b.startsWith('1.2.826.0.1.3680043.10.1234567890.123456.')).toBe(true);
      expect(a.length).toBeLessThanOrEqual(64);
      expect(b.length).toBeLessThanOrEqual(64);
      expect(checkUid(b)).toBe(b);
    }
    expect(new Set(Array.from({ length: 1000 }, () => newUid('1.2.3'))).size).toBe(1000);
  });
  it('derived UIDs are stable per key', () => {
    expect(derivedUid('1.2.3', 'pack:abc')).toBe(derivedUid('1.2.3', 'pack:abc'));
    expect(derivedUid('1.2.3', 'pack:abc')).not.toBe(derivedUid('1.2.3', 'pack:abd'));
  });
  it('refuse what cannot fit', () => {
    expect(codeOf(() => newUid('1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23'))).toBe('DICOM_UID_INVALID');
    expect(codeOf(() => checkUid(`1.${'2'.repeat(64)}`))).toBe('DICOM_UID_INVALID');
  });
});
