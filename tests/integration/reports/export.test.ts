/**
 * History exports on a real SQLite history and real files: the CSV read back with an RFC 4180
 * reader equals what the database says about each run, the JSON header names the operator and the
 * audit head, filters and order match `searchHistory`, and every export leaves an audit entry
 * whose payload hash is the file's SHA-256 while the chain still verifies.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRun, readAnchor, searchHistory, verifyAudit, type HistoryQuery } from '../../../src/core/history/index';
import { EXPORT_COLUMNS, exportHistory } from '../../../src/core/reports/index';
import { parseCsv } from './support/csv';
import { buildHistory, FORMULA_CASE, KOREAN_CASE, type Fixture } from './fixture';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const guarded = (s: string) => (/^[=+\-@\t\r]/.test(s) ? `'${s}` : s);
const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());

/** What the CSV row of a run must say, built from `getRun` (a different query path than the export's). */
function expectedCells(f: Fixture, runId: number): string[] {
  const d = getRun(f.store.db, runId);
  const eff = d.reviews.find((v) => v.supersededBy === null) ?? null;
  const text = (s: string | null | undefined) => (s === null || s === undefined ? '' : guarded(s));
  return [
    String(d.run.id),
    iso(d.run.createdAt),
    text(d.case.key),
    text(d.case.line),
    text(d.case.station),
    text(d.image.sourcePath),
    text(d.image.sha256),
    text(d.image.modality),
    text(d.run.packName),
    text(d.run.packVersion),
    text(d.run.provider),
    text(d.run.verdict),
    String(d.run.score),
    d.run.threshold === null ? '' : String(d.run.threshold),
    text(eff?.decision),
    text(eff?.label),
    text(eff?.operatorId),
    text(eff?.operatorName),
    iso(eff?.createdAt ?? null),
    text(eff?.note),
    String(Math.max(0, d.reviews.length - 1)),
    'run',
    d.run.batchId === null || d.run.batchId === undefined ? '' : String(d.run.batchId),
    '',
    '',
    text(d.run.groundingPrompt),
    // The latest decision per box, `index:decision:label:operator` (this fixture has none; grounding-review.test.ts has some).
    text(
      [...new Map((d.boxReviews ?? []).map((r) => [r.boxIndex, r])).values()]
        .sort((a, b) => a.boxIndex - b.boxIndex)
        .map((r) => `${r.boxIndex}:${r.decision}:${r.label}:${r.operatorId}`)
        .join(';') || null,
    ),
    // The case verdict (these fixtures predate stored verdicts: recomputed, no policy or config hash).
    text(d.caseVerdict!.verdict),
    d.caseVerdict!.source,
    text(d.caseVerdict!.policy),
    '',
    String(d.caseVerdict!.failedImages),
    // The map's method and trust figure (strong / weak and the figure), as the run recorded them.
    text(d.run.explanation?.method),
    text(d.run.explanation?.trust?.verdict),
    d.run.explanation?.trust?.figure === undefined || d.run.explanation.trust.figure === null ? '' : String(d.run.explanation.trust.figure),
    // Segmentation areas: none of these fixtures is a segmentation run.
    '',
    '',
    // DICOM patient id and study / series / SOP UIDs: these fixtures' images are PNGs (deidentify.test.ts has DICOM ones).
    '',
    '',
    '',
    '',
    // Not de-identified.
    '',
  ];
}

/** Data rows of a CSV export that are runs (failed images and the closing audit_anchor row are rows of their own kind). */
const runRows = (rows: string[][]): string[][] => rows.slice(1).filter((r) => r[rows[0]!.indexOf('record')] === 'run');

/** Every run `searchHistory` returns for a query, paged the way the UI pages. */
function searchAll(f: Fixture, q: HistoryQuery): number[] {
  const ids: number[] = [];
  for (let offset = 0; ; offset += 500) {
    const p = searchHistory(f.store.db, { ...q, limit: 500, offset });
    ids.push(...p.rows.map((r) => r.runId));
    if (!p.hasMore) return ids;
  }
}

describe('history export (CSV / JSON)', () => {
  let f: Fixture;
  beforeAll(() => {
    f = buildHistory(130);
  });
  afterAll(() => f?.cleanup());

  it('writes CSV with a BOM and a header; each row read back equals the run in the database', async () => {
    const out = join(f.dir, 'all.csv');
    const res = await exportHistory(f.store, {}, 'csv', 'kim.j', { out, pageSize: 7, appVersion: '9.9.9' });
    const bytes = readFileSync(out);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parseCsv(bytes.toString('utf8').slice(1));
    expect(rows[0]).toEqual(EXPORT_COLUMNS.map((c) => c.name));
    // 130 runs, then the off-machine anchor row.
    expect(rows).toHaveLength(132);
    expect(rows.at(-1)![rows[0]!.indexOf('record')]).toBe('audit_anchor');
    expect(res).toMatchObject({ runs: 130, format: 'csv', bytes: bytes.length, sha256: sha256(out) });
    // Oldest first, ties broken by run ID, across page boundaries (pageSize 7, repeated timestamps).
    const order = f.store.db.prepare('SELECT id FROM inference_runs ORDER BY created_at, id').pluck().all() as number[];
    expect(runRows(rows).map((r) => Number(r[0]))).toEqual(order);
    for (const row of runRows(rows)) expect(row).toEqual(expectedCells(f, Number(row[0])));
    const trust = runRows(rows).map((r) => r[rows[0]!.indexOf('explanation_trust')]).filter(Boolean);
    expect(trust.sort()).toEqual(['strong', 'weak']);
  });

  it('neutralises formula-like cells and keeps Korean text intact', async () => {
    const out = join(f.dir, 'guard.csv');
    await exportHistory(f.store, {}, 'csv', 'kim.j', { out });
    const rows = parseCsv(readFileSync(out, 'utf8').slice(1));
    const col = (name: string) => rows[0]!.indexOf(name);
    const formula = rows.find((r) => r[col('case_key')]!.includes('HYPERLINK'))!;
    expect(formula[col('case_key')]).toBe(`'${FORMULA_CASE}`);
    expect(formula[col('review_note')]).toBe("'=1+1");
    const korean = rows.find((r) => r[col('case_key')] === KOREAN_CASE)!;
    expect(korean[col('line')]).toBe('라인 2');
    expect(korean[col('station')]).toBe("'-ST9");
    // The effective review is the third one (a rejection by 김지우); two were superseded.
    expect(korean[col('review_decision')]).toBe('reject');
    expect(korean[col('reviewer_name')]).toBe('김지우');
    expect(korean[col('review_note')]).toBe("'@SUM(A1)");
    expect(korean[col('superseded_reviews')]).toBe('2');
    // Scores are numbers, never guarded.
    expect(rows.slice(1).every((r) => Number.isFinite(Number(r[col('score')])))).toBe(true);
  });

  it('applies the same filters and order as searchHistory', async () => {
    const queries: HistoryQuery[] = [
      { verdicts: ['pneumonia'] },
      { reviewStatus: 'reviewed', order: 'desc' },
      { reviewer: 'lee.s' },
      { text: 'SN-0010', sort: 'score', order: 'desc' },
      { from: Date.UTC(2025, 0, 2), to: Date.UTC(2025, 0, 3), reviewStatus: 'unreviewed' },
      { pack: 'no-such-pack' },
    ];
    for (const [i, q] of queries.entries()) {
      const out = join(f.dir, `q${i}.csv`);
      const res = await exportHistory(f.store, q, 'csv', 'kim.j', { out, pageSize: 5 });
      const ids = runRows(parseCsv(readFileSync(out, 'utf8').slice(1))).map((r) => Number(r[0]));
      const expected = searchAll(f, { ...q, order: q.order ?? 'asc' });
      expect(ids, JSON.stringify(q)).toEqual(expected);
      expect(res.runs).toBe(expected.length);
    }
  });

  it('writes JSON whose header carries the operator, the filters and the audit head, and whose rows match the CSV', async () => {
    const head = f.store.db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string };
    const out = join(f.dir, 'reviewed.json');
    const q: HistoryQuery = { reviewStatus: 'reviewed' };
    await exportHistory(f.store, q, 'json', 'lee.s', { out, appVersion: '1.2.3', pageSize: 3 });
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { header: Record<string, unknown>; rows: Record<string, unknown>[] };
    expect(doc.header).toMatchObject({
      exported_by: { id: 'lee.s', name: 'Lee Seoyeon', role: 'supervisor' },
      app_version: '1.2.3',
      filters: { review_status: 'reviewed' },
      audit_head: head,
    });
    expect(Date.parse(doc.header['exported_at'] as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(doc.rows.map((r) => r['run_id'])).toEqual(searchAll(f, { ...q, order: 'asc' }));
    const csvOut = join(f.dir, 'reviewed.csv');
    await exportHistory(f.store, q, 'csv', 'lee.s', { out: csvOut });
    const csv = parseCsv(readFileSync(csvOut, 'utf8').slice(1));
    const unguard = (s: string) => (/^'[=+\-@\t\r]/.test(s) ? s.slice(1) : s);
    doc.rows.forEach((r, i) => {
      const cells = csv[i + 1]!;
      csv[0]!.forEach((name, c) => expect(r[name] === null ? '' : String(r[name]), `${name} of run ${String(r['run_id'])}`).toBe(unguard(cells[c]!)));
    });
    const korean = doc.rows.find((r) => r['case_key'] === KOREAN_CASE)!;
    expect(korean).toMatchObject({ review_note: '@SUM(A1)', reviewer_name: '김지우', superseded_reviews: 2 });
  });

  it('logs every export in the audit chain with the SHA-256 of the file; the chain still verifies', async () => {
    const before = (f.store.db.prepare('SELECT max(seq) FROM audit_log').pluck().get() as number) ?? 0;
    const out = join(f.dir, '감사-export.csv');
    const res = await exportHistory(f.store, { verdicts: ['normal'] }, 'csv', 'kim.j', { out });
    const entry = f.store.db.prepare('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1').get() as Record<string, unknown>;
    expect(entry).toMatchObject({ seq: before + 1, actor: 'kim.j', action: 'export.csv', entity: 'event', entity_id: '감사-export.csv', record_hash: sha256(out) });
    expect(res.audit).toEqual({ seq: entry['seq'], hash: entry['hash'] });
    const report = verifyAudit(f.store.db, readAnchor(f.store.file));
    expect(report.firstBreak).toBeNull();
    expect(report.head.seq).toBe(before + 1);
  });

  it('refuses an export without an operator (OPERATOR_REQUIRED) or with an unknown one, writing nothing', async () => {
    const before = f.store.db.prepare('SELECT max(seq) FROM audit_log').pluck().get();
    for (const [op, code] of [[null, 'OPERATOR_REQUIRED'], ['', 'OPERATOR_REQUIRED'], [undefined, 'OPERATOR_REQUIRED'], ['nobody', 'OPERATOR_UNKNOWN']] as const) {
      const out = join(f.dir, `refused-${code}.csv`);
      await expect(exportHistory(f.store, {}, 'csv', op, { out })).rejects.toMatchObject({ code });
      expect(existsSync(out)).toBe(false);
    }
    expect(f.store.db.prepare('SELECT max(seq) FROM audit_log').pluck().get()).toBe(before);
  });

  it('an export that fails half-way leaves neither a file under the final name, nor a temporary file, nor an audit entry', async () => {
    const before = f.store.db.prepare('SELECT max(seq) FROM audit_log').pluck().get();
    const out = join(f.dir, 'interrupted.csv');
    const onProgress = (n: number) => {
      if (n >= 20) throw new Error('disk pulled');
    };
    await expect(exportHistory(f.store, {}, 'csv', 'kim.j', { out, pageSize: 10, onProgress })).rejects.toThrow('disk pulled');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(f.dir).filter((n) => n.includes('partial'))).toEqual([]);
    expect(f.store.db.prepare('SELECT max(seq) FROM audit_log').pluck().get()).toBe(before);
  });
});
