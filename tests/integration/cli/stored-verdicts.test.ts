/**
 * Case verdicts as rows (issue 11) and the off-machine anchor in every export (issue 12), through the
 * real CLI on real files: with `verdict.incomplete: DEFECT` a case with broken images is the defect the
 * line got (INTERNAL_DEFECT), and that stored verdict — not a recomputation, which would say
 * INCOMPLETE — is what `history list`, the CSV and JSON exports and the PDF audit report show, with
 * the policy that produced it. The row is sealed in the audit chain (an edit is caught) and enters the
 * fleet outbox. Every export and the report print the chain head line `audit verify` prints.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../reports/support/csv';
import { pdfText } from '../reports/support/pdfText';
import { brokenFolder, cli, scratchDir } from './support';

describe('the verdict a case was given is stored and shown as given', () => {
  const root = scratchDir('stored-verdict');
  const part = join(root, 'parts', 'cell-21');
  const f = brokenFolder(part);
  const db = join(root, 'history.sqlite');
  const strict = join(root, 'strict.yaml');
  writeFileSync(strict, 'verdict:\n  incomplete: DEFECT\n');
  const run = (args: string[]) => cli([...args, '--db', db], { dataDir: root });

  it('inspect with verdict.incomplete: DEFECT stores INTERNAL_DEFECT with its policy, config hash, failed count and runs', () => {
    expect(run(['operator', 'create', 'kim.j', '--name', 'Kim Jiwoo', '--role', 'supervisor', '--select']).status).toBe(0);
    const r = run(['inspect', part, '--pack', 'battery-ct-porosity', '--config', strict, '--json']);
    const report = JSON.parse(r.stdout);
    expect(report.cases[0].verdict).toMatchObject({ verdict: 'INTERNAL_DEFECT', inspectedVerdict: 'PASS', incompletePolicy: 'DEFECT' });
    const sql = new Database(db, { readonly: true });
    try {
      const rows = sql.prepare('SELECT * FROM case_verdicts').all() as Record<string, unknown>[];
      expect(rows).toHaveLength(1);
      const runIds = (sql.prepare('SELECT id FROM inference_runs ORDER BY id').pluck().all() as number[]);
      expect(rows[0]).toMatchObject({
        case_key: part,
        verdict: 'INTERNAL_DEFECT',
        inspected_verdict: 'PASS',
        incomplete_policy: 'DEFECT',
        method: 'weighted_average',
        config_hash: report.configSha256,
        images: 1 + Object.keys(f.broken).length, // the good image and the broken ones (the text file is skipped, not an image of the case)
        failed_images: Object.keys(f.broken).length,
        run_ids: JSON.stringify(runIds),
        operator_id: 'kim.j',
      });
      // Logged in the audit chain and queued for the fleet like every signed row.
      expect(sql.prepare(`SELECT count(*) FROM audit_log WHERE entity = 'case_verdict' AND action = 'case.verdict'`).pluck().get()).toBe(1);
      expect(sql.prepare(`SELECT count(*) FROM sync_outbox WHERE tbl = 'case_verdicts' AND rid = ?`).pluck().get(String(rows[0]!['id']))).toBe(1);
    } finally {
      sql.close();
    }
  });

  it('history list shows the stored case verdict and its policy, never the recomputed INCOMPLETE', () => {
    const page = JSON.parse(run(['history', 'list', '--json']).stdout);
    expect(page.rows).toHaveLength(1);
    expect(page.rows[0].caseVerdict).toEqual({ verdict: 'INTERNAL_DEFECT', source: 'stored', policy: 'weighted_average; incomplete DEFECT', failedImages: 4 });
    const text = run(['history', 'list']).stdout;
    expect(text).toContain('INTERNAL_DEFECT (weighted_average; incomplete DEFECT)');
    expect(text).not.toContain('INCOMPLETE');
  });

  it('CSV and JSON exports carry the stored case verdict on runs and failed images, and the off-machine anchor', () => {
    const csv = join(root, 'h.csv');
    expect(run(['history', 'export', '--format', 'csv', '--out', csv]).status).toBe(0);
    const [header, ...rows] = parseCsv(readFileSync(csv, 'utf8').replace(/^\uFEFF/, ''));
    const col = (row: string[], name: string) => row[header!.indexOf(name)];
    const judged = rows.filter((r) => col(r, 'record') === 'run' || col(r, 'record') === 'failed_image');
    expect(judged).toHaveLength(5);
    for (const r of judged) {
      expect([col(r, 'case_verdict'), col(r, 'case_verdict_source'), col(r, 'case_verdict_policy'), col(r, 'case_failed_images')]).toEqual(['INTERNAL_DEFECT', 'stored', 'weighted_average; incomplete DEFECT', '4']);
    }
    expect(rows.find((r) => col(r, 'record') === 'skipped_file') && col(rows.find((r) => col(r, 'record') === 'skipped_file')!, 'case_verdict')).toBe('');
    // The anchor is the last row, and it is the head `audit verify` tells the user to keep.
    const last = rows.at(-1)!;
    expect(col(last, 'record')).toBe('audit_anchor');
    const verify = run(['audit', 'verify']).stdout;
    const line = /Head to keep off this machine: (audit head #\d+ sha256 [0-9a-f]{64})/.exec(verify)![1]!;
    // The CSV's export entry came after its own head: the verify above sees one more entry.
    const csvHead = /^audit head #(\d+) sha256 ([0-9a-f]{64}); anchor beside the database #\d+ held by the chain$/.exec(col(last, 'audit_anchor')!);
    expect(csvHead, col(last, 'audit_anchor')).not.toBeNull();
    expect(Number(/#(\d+)/.exec(line)![1])).toBe(Number(csvHead![1]) + 1);

    const json = join(root, 'h.json');
    expect(run(['history', 'export', '--format', 'json', '--out', json]).status).toBe(0);
    const doc = JSON.parse(readFileSync(json, 'utf8'));
    expect(doc.header.off_machine_anchor.line).toBe(line);
    expect(doc.header.off_machine_anchor.holds).toBe(true);
    const runRow = doc.rows.find((r: Record<string, unknown>) => r['record'] === 'run');
    expect(runRow).toMatchObject({ case_verdict: 'INTERNAL_DEFECT', case_verdict_source: 'stored' });
  });

  it('the PDF audit report states the stored verdict with its policy and prints the off-machine anchor', async () => {
    const out = join(root, 'report.pdf');
    const before = /Head to keep off this machine: (audit head #\d+ sha256 [0-9a-f]{64})/.exec(run(['audit', 'verify']).stdout)![1]!;
    expect(run(['audit', 'report', '--out', out]).status).toBe(0);
    const text = (await pdfText(readFileSync(out))).join('\n').replace(/\s+/g, ' ');
    expect(text).toMatch(new RegExp(`${part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: INTERNAL_DEFECT \\(1 run, 4 failed images\\)`));
    expect(text).toContain('as given: weighted_average, verdict.incomplete DEFECT, inspected images PASS');
    expect(text).not.toContain('INCOMPLETE (');
    expect(text).not.toContain('RECOMPUTED from runs');
    // The report's hash line may wrap; compare without spaces.
    expect(text.replace(/ /g, '')).toContain(`Off-machineanchor:${before.replace(/ /g, '')}`);
  });

  it('audit verify seals the stored verdict: editing it (past the append-only trigger) is caught', () => {
    const ok = JSON.parse(run(['audit', 'verify', '--json']).stdout);
    expect(ok.ok).toBe(true);
    expect(ok.records.case_verdict).toBe(1);
    const sql = new Database(db);
    try {
      expect(() => sql.prepare(`UPDATE case_verdicts SET verdict = 'PASS'`).run()).toThrow(/HISTORY_APPEND_ONLY/);
      sql.exec(`DROP TRIGGER case_verdicts_no_update; UPDATE case_verdicts SET verdict = 'PASS';`);
    } finally {
      sql.close();
    }
    const broken = JSON.parse(run(['audit', 'verify', '--json']).stdout);
    expect(broken.ok).toBe(false);
    expect(broken.firstBreak).toMatchObject({ code: 'AUDIT_RECORD_ALTERED', entity: 'case_verdict' });
  });
});
