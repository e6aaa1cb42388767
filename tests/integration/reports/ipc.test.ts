/**
 * `history.export` in the host: the renderer sends only a format and filters; the file is the save
 * dialog's answer; no operator → OPERATOR_REQUIRED before any dialog; a cancelled dialog writes
 * nothing and logs nothing.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/core/history/index';
import { createHistoryHandlers, HistoryAccess } from '../../../src/host/history';
import { contract } from '../../../src/shared/contract';
import { sampleRecord, tempDir } from '../../unit/history/support';
import { parseCsv } from './support/csv';

describe('history.export channel', () => {
  const t = tempDir('inspector-ipc-export-');
  const access = new HistoryAccess(t.file);
  const asked: { defaultName: string; extensions: string[] }[] = [];
  let answer: string | null = null;
  const h = createHistoryHandlers(access, {
    chooseSavePath: async (o) => (asked.push(o), answer),
    version: '7.7.7',
  });
  const call = async (input: unknown) => contract['history.export'].output.parse(await h['history.export'](contract['history.export'].input.parse(input)));
  const lastSeq = () => access.get().db.prepare('SELECT max(seq) FROM audit_log').pluck().get() as number;
  afterAll(() => {
    access.close();
    t.cleanup();
  });

  it('accepts only a format and filters: the renderer cannot name the file', () => {
    const input = contract['history.export'].input;
    expect(input.safeParse({ format: 'csv', filters: {} }).success).toBe(true);
    expect(input.safeParse({ format: 'csv', filters: {}, out: '/etc/passwd' }).success).toBe(false);
    expect(input.safeParse({ format: 'csv', filters: { out: '/tmp/x' } }).success).toBe(false);
    expect(input.safeParse({ format: 'xlsx', filters: {} }).success).toBe(false);
    // De-identification is a yes/no the host acts on; nothing else rides along with it.
    expect(input.safeParse({ format: 'pdf', filters: {}, deidentify: true }).success).toBe(true);
    expect(input.safeParse({ format: 'pdf', filters: {}, deidentify: 'yes' }).success).toBe(false);
    expect(input.safeParse({ format: 'pdf', filters: {}, deidentify: { uidRoot: '1.2' } }).success).toBe(false);
  });

  it('refuses before asking for a path when no operator profile is selected', async () => {
    const s = HistoryStore.open(t.file);
    s.recordInferences(Array.from({ length: 8 }, (_, i) => sampleRecord(i)));
    s.createOperator({ id: 'choi.h', name: '최하은', role: 'supervisor' });
    s.close();
    await expect(call({ format: 'csv', filters: {} })).rejects.toMatchObject({ code: 'OPERATOR_REQUIRED' });
    expect(asked).toHaveLength(0);
  });

  it('writes nothing and logs nothing when the save dialog is cancelled', async () => {
    access.get().selectOperator('choi.h');
    const before = lastSeq();
    expect(await call({ format: 'pdf', filters: {} })).toEqual({ cancelled: true });
    expect(asked.at(-1)).toMatchObject({ extensions: ['pdf'] });
    expect(asked.at(-1)!.defaultName).toMatch(/^inspector-audit-report-\d{8}-\d{4}\.pdf$/);
    expect(lastSeq()).toBe(before);
  });

  it('exports the filtered runs to the chosen file, signed by the selected operator', async () => {
    answer = join(t.dir, 'chosen.csv');
    const r = await call({ format: 'csv', filters: { verdicts: ['pneumonia'] } });
    expect(r).toMatchObject({ cancelled: false, format: 'csv', file: answer, fileName: 'chosen.csv' });
    if (r.cancelled) throw new Error('unreachable');
    const rows = parseCsv(readFileSync(answer, 'utf8').slice(1));
    const verdictCol = rows[0]!.indexOf('ai_verdict');
    const recordCol = rows[0]!.indexOf('record');
    expect(rows.slice(1).filter((row) => row[recordCol] === 'run').map((row) => row[verdictCol])).toEqual(Array(r.runs).fill('pneumonia'));
    expect(rows.at(-1)![recordCol]).toBe('audit_anchor');
    expect(r.runs).toBe(access.get().db.prepare("SELECT count(*) FROM inference_runs WHERE verdict = 'pneumonia'").pluck().get());
    expect(r.sha256).toBe(createHash('sha256').update(readFileSync(answer)).digest('hex'));
    const entry = access.get().db.prepare('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1').get() as Record<string, unknown>;
    expect(entry).toMatchObject({ seq: r.auditSeq, actor: 'choi.h', action: 'export.csv', entity_id: 'chosen.csv', record_hash: r.sha256 });
  });

  it('writes the JSON header with the app version and the PDF with the chain status', async () => {
    answer = join(t.dir, 'chosen.json');
    await call({ format: 'json', filters: {} });
    const doc = JSON.parse(readFileSync(answer, 'utf8')) as { header: { app_version: string; exported_by: { name: string } } };
    expect(doc.header).toMatchObject({ app_version: '7.7.7', exported_by: { name: '최하은' } });
    answer = join(t.dir, 'chosen.pdf');
    const r = await call({ format: 'pdf', filters: {} });
    expect(r).toMatchObject({ cancelled: false, chainOk: true, runs: 8 });
    expect(existsSync(answer)).toBe(true);
  });

  it('deidentify: true gives a marked, de-identified file and says so in the result', async () => {
    answer = join(t.dir, 'deid.json');
    const r = await call({ format: 'json', filters: {}, deidentify: true });
    expect(r).toMatchObject({ cancelled: false, format: 'json', deidentified: true });
    const doc = JSON.parse(readFileSync(answer, 'utf8')) as { header: { deidentified: { profile: string; uid_root: string } }; rows: Record<string, unknown>[] };
    // No dicom.yaml in this data folder: the node's default root.
    expect(doc.header.deidentified).toMatchObject({ profile: 'PS3.15 basic profile', uid_root: '2.25' });
    const runs = doc.rows.filter((row) => row['record'] === 'run');
    expect(runs).toHaveLength(8);
    for (const row of runs) {
      expect(row['image_path']).toMatch(/^IMG-[0-9A-F]{12}\.png$/);
      expect(row['case_key']).toMatch(/^CASE-[0-9A-F]{12}$/);
      expect(row['deidentified']).toBe('PS3.15 basic profile');
    }
    expect(readFileSync(answer, 'utf8')).not.toContain('/samples/');
    answer = join(t.dir, 'full-again.json');
    expect(await call({ format: 'json', filters: {} })).not.toHaveProperty('deidentified');
    expect(readFileSync(answer, 'utf8')).toContain('/samples/');
  });
});
