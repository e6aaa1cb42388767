/** `inspector history export` and `inspector audit report` as a user runs them (bin/inspector.js, real files). */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/core/history/index';
import { deidentify } from '../../../src/core/dicomnet/deid';
import { deidKey } from '../../../src/core/dicomnet/node';
import { readSource } from '../../../src/core/dicomnet/objects/common';
import { saveDicomSetting } from '../../../src/core/settings/index';
import { repoRoot } from '../../support/paths';
import { sampleRecord, tempDir } from '../../unit/history/support';
import { parseCsv } from './support/csv';
import { pdfText } from './support/pdfText';

const t = tempDir('inspector-cli-reports-');
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'inspector.js'), ...args], { encoding: 'utf8', env: { ...process.env, INSPECTOR_DATA_DIR: t.dir } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const lastEntry = () => {
  const s = HistoryStore.open(t.file, { readonly: true });
  try {
    return s.db.prepare('SELECT seq, actor, action, entity_id, record_hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as Record<string, unknown>;
  } finally {
    s.close();
  }
};

describe('inspector history export / audit report', () => {
  beforeAll(() => {
    const s = HistoryStore.open(t.file, { synchronous: 'NORMAL' });
    s.createOperator({ id: 'park.m', name: '박민준', role: 'supervisor' });
    s.recordInferences(Array.from({ length: 12 }, (_, i) => sampleRecord(i)));
    s.recordReview({ runId: 4, operatorId: 'park.m', decision: 'override', label: 'pneumonia', note: '미세 음영' });
    s.close();
  });
  afterAll(() => t.cleanup());

  it('exports the filtered runs as CSV, signed by --operator, and logs the file hash', () => {
    const out = join(t.dir, 'reviewed.csv');
    const r = cli('history', 'export', '--format', 'csv', '--out', out, '--operator', 'park.m', '--db', t.file, '--status', 'reviewed', '--json');
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out) as { runs: number; sha256: string; audit: { seq: number } };
    const rows = parseCsv(readFileSync(out, 'utf8').slice(1));
    // Header, the one run, and the off-machine anchor as the last row (docs/HISTORY.md).
    expect(rows).toHaveLength(3);
    expect(rows[2]![rows[0]!.indexOf('record')]).toBe('audit_anchor');
    const row = Object.fromEntries(rows[0]!.map((k, i) => [k, rows[1]![i]]));
    expect(row).toMatchObject({ run_id: '4', review_decision: 'override', review_label: 'pneumonia', reviewer_id: 'park.m', reviewer_name: '박민준', review_note: '미세 음영' });
    const sha = createHash('sha256').update(readFileSync(out)).digest('hex');
    expect(result).toMatchObject({ runs: 1, sha256: sha });
    expect(lastEntry()).toMatchObject({ seq: result.audit.seq, actor: 'park.m', action: 'export.csv', entity_id: 'reviewed.csv', record_hash: sha });
  });

  it('refuses without --operator (exit 1, OPERATOR_REQUIRED) and rejects a bad format (exit 2)', () => {
    const out = join(t.dir, 'refused.json');
    const r = cli('history', 'export', '--format', 'json', '--out', out, '--db', t.file);
    expect(r.code).toBe(1);
    expect(r.err).toContain('OPERATOR_REQUIRED');
    expect(existsSync(out)).toBe(false);
    expect(cli('history', 'export', '--format', 'xlsx', '--out', out, '--db', t.file, '--operator', 'park.m').code).toBe(2);
  });

  it('operator profiles from the CLI: create, select, then an export without --operator is signed by the selected one', () => {
    const created = cli('operator', 'create', 'lee.s', '--name', '이서연', '--role', 'reviewer', '--db', t.file, '--json');
    expect(created.code, created.err).toBe(0);
    expect(JSON.parse(created.out)).toMatchObject({ id: 'lee.s', name: '이서연', role: 'reviewer' });
    expect(lastEntry()).toMatchObject({ actor: 'lee.s', action: 'operator.create', entity_id: 'lee.s' });
    expect(cli('operator', 'create', 'lee.s', '--name', 'Again', '--db', t.file).err).toContain('OPERATOR_EXISTS');
    expect(cli('operator', 'create', 'x', '--name', 'X', '--role', 'boss', '--db', t.file).code).toBe(2);
    expect(cli('operator', 'select', 'nobody', '--db', t.file).err).toContain('OPERATOR_UNKNOWN');
    expect(cli('operator', 'select', 'lee.s', '--db', t.file).code).toBe(0);
    const list = JSON.parse(cli('operator', 'list', '--db', t.file, '--json').out) as { operators: { id: string }[]; current: string };
    expect(list.operators.map((o) => o.id).sort()).toEqual(['lee.s', 'park.m']);
    expect(list.current).toBe('lee.s');

    const out = join(t.dir, 'signed-by-selected.json');
    const r = cli('history', 'export', '--format', 'json', '--out', out, '--db', t.file);
    expect(r.code, r.err).toBe(0);
    const header = (JSON.parse(readFileSync(out, 'utf8')) as { header: { exported_by: { id: string; name: string } } }).header;
    expect(header.exported_by).toMatchObject({ id: 'lee.s', name: '이서연' });
    expect(lastEntry()).toMatchObject({ actor: 'lee.s', action: 'export.json', entity_id: 'signed-by-selected.json' });
  });

  it('writes the PDF audit report and says whether the chain verifies', async () => {
    const out = join(t.dir, 'audit.pdf');
    const r = cli('audit', 'report', '--out', out, '--operator', 'park.m', '--db', t.file, '--verdict', 'pneumonia');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('audit chain verifies');
    const text = (await pdfText(readFileSync(out))).join('\n');
    expect(text).toContain('verdicts = pneumonia');
    expect(lastEntry()).toMatchObject({ action: 'export.pdf', entity_id: 'audit.pdf', record_hash: createHash('sha256').update(readFileSync(out)).digest('hex') });
    expect(cli('audit', 'verify', '--db', t.file).code).toBe(0);
  });

  it('settings set/show write and read settings.yaml beside the database; the report names the station; --pdfa embeds every font', async () => {
    expect(cli('settings', 'show', '--db', t.file).out).toContain('No station set');
    for (const [k, v] of [['station.id', 'ST01'], ['station.line', 'L2']]) {
      const set = cli('settings', 'set', k!, v!, '--db', t.file);
      expect(set.code, set.err).toBe(0);
    }
    expect(readFileSync(join(t.dir, 'settings.yaml'), 'utf8')).toMatch(/station:\n {2}id: ST01\n {2}line: L2/);
    expect(JSON.parse(cli('settings', 'show', '--db', t.file, '--json').out)).toMatchObject({ station: { id: 'ST01', line: 'L2' } });
    const bad = cli('settings', 'set', 'station.id', 'ST/01', '--db', t.file);
    expect(bad.code).not.toBe(0);
    expect(bad.err + bad.out).toContain('SETTINGS_BAD_VALUE');
    const out = join(t.dir, 'station.pdf');
    const r = cli('audit', 'report', '--out', out, '--operator', 'park.m', '--db', t.file, '--pdfa');
    expect(r.code, r.err).toBe(0);
    const text = (await pdfText(readFileSync(out))).join('\n').replace(/\s+/g, ' ');
    expect(text).toContain('Station: ST01, line L2');
    const fonts = spawnSync('pdffonts', [out], { encoding: 'utf8' }).stdout.trim().split('\n').slice(2);
    expect(fonts.every((row) => row.split(/\s+/).at(-5) === 'yes')).toBe(true);
  });
});

describe('--deidentify on history export and audit report (bin/inspector.js)', () => {
  const d = tempDir('inspector-cli-deid-');
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'inspector.js'), ...args], { encoding: 'utf8', env: { ...process.env, INSPECTOR_DATA_DIR: d.dir } });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const ROOT = '1.2.826.0.1.3680043.10.543';
  const PATIENT_DIR = join(d.dir, 'Doe^Jane');
  const source = join(repoRoot, 'tests', 'fixtures', 'imaging', 'voi', 'ct_small_voilut.dcm');
  const study = '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322';
  let node: Record<string, string>;
  beforeAll(() => {
    mkdirSync(PATIENT_DIR);
    const file = join(PATIENT_DIR, 'IM0001.dcm');
    copyFileSync(source, file);
    // The DICOM node's configuration names the organisation root the UIDs are derived under.
    writeFileSync(join(d.dir, 'dicom.yaml'), `uid_root: "${ROOT}"\n`);
    saveDicomSetting(d.dir, 'dicom.yaml');
    const s = HistoryStore.open(d.file);
    s.createOperator({ id: 'park.m', name: '박민준', role: 'supervisor' });
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    s.recordInferences([sampleRecord(1, { case: { key: study, kind: 'study' }, image: { sourcePath: file, sha256: sha, format: 'dicom', modality: 'ct', width: 128, height: 128, validation: { outcome: 'ok' } } })]);
    node = deidentify(readSource(file), { uidRoot: ROOT, key: deidKey(s.db) }) as Record<string, string>;
    s.close();
  });
  afterAll(() => d.cleanup());

  it('history export --deidentify: the node\'s pseudonym and UIDs under dicom.yaml\'s uid_root, no patient folder or id; the flag is in --help', () => {
    const out = join(d.dir, 'deid.csv');
    const r = run('history', 'export', '--format', 'csv', '--out', out, '--operator', 'park.m', '--db', d.file, '--deidentify');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('de-identified (PS3.15 basic profile');
    const text = readFileSync(out, 'utf8');
    for (const s of ['Doe^Jane', '1CT1', study, 'IM0001']) expect(text, s).not.toContain(s);
    const rows = parseCsv(text.slice(1));
    const row = Object.fromEntries(rows[0]!.map((k, i) => [k, rows[1]![i]]));
    expect(row).toMatchObject({ dicom_patient_id: node['PatientID'], case_key: node['StudyInstanceUID'], dicom_sop_uid: node['SOPInstanceUID'], deidentified: 'PS3.15 basic profile' });
    expect(row['case_key']!.startsWith(`${ROOT}.`)).toBe(true);
    // Without the flag the same export names the patient's folder and id.
    const full = join(d.dir, 'full.csv');
    expect(run('history', 'export', '--format', 'csv', '--out', full, '--operator', 'park.m', '--db', d.file).code).toBe(0);
    expect(readFileSync(full, 'utf8')).toContain('Doe^Jane');
    expect(readFileSync(full, 'utf8')).toContain(',1CT1,');
    expect(run('history', '--help').out).toContain('--deidentify');
    expect(run('audit', '--help').out).toContain('--deidentify');
  });

  it('audit report --deidentify says so on the page; --deidentify is refused where it would do nothing', async () => {
    const out = join(d.dir, 'deid.pdf');
    const r = run('audit', 'report', '--out', out, '--operator', 'park.m', '--db', d.file, '--deidentify');
    expect(r.code, r.err).toBe(0);
    const text = (await pdfText(readFileSync(out))).join('\n').replace(/\s+/g, ' ');
    expect(text).toContain('De-identified (PS3.15 basic profile):');
    expect(text).toContain(`DICOM patient ${node['PatientID']}`);
    for (const s of ['Doe^Jane', '1CT1', study]) expect(text, s).not.toContain(s);
    const dataset = run('history', 'export', '--format', 'dataset', '--out', join(d.dir, 'ds'), '--operator', 'park.m', '--db', d.file, '--deidentify');
    expect(dataset.code).toBe(2);
    expect(dataset.err).toContain('--deidentify is for --format csv or json');
    expect(existsSync(join(d.dir, 'ds'))).toBe(false);
    const list = run('history', 'list', '--db', d.file, '--deidentify');
    expect(list.code).toBe(2);
    expect(list.err).toContain('--deidentify is for history export');
  });
});
