/** `inspector history export` and `inspector audit report` as a user runs them (bin/inspector.js, real files). */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/core/history/index';
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
