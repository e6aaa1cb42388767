/**
 * The PDF audit report on a real history: a real PDF (Poppler's pdftotext, an independent reader, parses it and
 * gives back its text) naming the operator, every case, the chain status and head, the reviews in
 * order with the correction chain; its SHA-256 lands in the audit log; a tampered history is
 * reported as broken at the first bad entry.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAnchor, verifyAudit } from '../../../src/core/history/index';
import { auditReport, findReportFont } from '../../../src/core/reports/index';
import { buildHistory, FORMULA_CASE, KOREAN_CASE, type Fixture } from './fixture';
import { pdfText } from './support/pdfText';

const flat = (s: string) => s.replace(/\s+/g, ' ');
const cjkFont = findReportFont().regular !== null;

describe('audit report (PDF)', () => {
  let f: Fixture;
  beforeAll(() => {
    f = buildHistory(24);
  });
  afterAll(() => f?.cleanup());

  it('is a PDF that names the exporter, the filters, the chain status and head, the summary and every run; its hash is logged', async () => {
    const head = f.store.db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string };
    const out = join(f.dir, 'report.pdf');
    const res = await auditReport(f.store, {}, 'kim.j', { out, appVersion: '0.1.0', pageSize: 5 });
    const bytes = readFileSync(out);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const pages = await pdfText(bytes);
    expect(pages.length).toBeGreaterThanOrEqual(2);
    const text = flat(pages.join('\n'));
    if (!cjkFont) console.warn('No CJK font on this machine (apt-get install fonts-noto-cjk): Korean text is checked as "?".');
    const name = cjkFont ? '김지우' : '???';
    expect(text).toContain(`Exported by: ${name} (kim.j, reviewer)`);
    expect(text).toContain('Filters: none (every run)');
    expect(text).toContain(`verifies: ${head.seq} entries checked against the head anchor`);
    expect(text).toContain(`Chain head: #${head.seq} ${head.hash}`);
    expect(text).toContain('Runs: 24');
    expect(text).toContain('Reviewed: 7 (29.2%)');
    // The uncertain review names no class; 5 accepts and 1 rejection do, the 5 accepts agree with the AI.
    expect(text).toContain('AI vs reviewer agreement: 5 of 6 reviews naming a class (83.3%)');
    const caseKeys = f.store.db.prepare('SELECT DISTINCT c.case_key FROM cases c').pluck().all() as string[];
    for (const key of caseKeys) if (key !== KOREAN_CASE || cjkFont) expect(text, key).toContain(key);
    expect(text).toContain(FORMULA_CASE);
    // The correction chain of the Korean case, in order.
    const reviews = f.store.db.prepare('SELECT id FROM reviews WHERE run_id = ? ORDER BY id').pluck().all(f.runIds[5]) as number[];
    const [r1, r2, r3] = reviews;
    const i1 = text.indexOf(`Review #${r1} `);
    const i2 = text.indexOf(`Review #${r2} `);
    const i3 = text.indexOf(`Review #${r3} `);
    expect(i1).toBeGreaterThan(0);
    expect(i2).toBeGreaterThan(i1);
    expect(i3).toBeGreaterThan(i2);
    expect(text.slice(i1, i2)).toContain(`[superseded by #${r2}]`);
    expect(text.slice(i2, i3)).toContain(`override -> dent [corrects #${r1}] [superseded by #${r3}]`);
    expect(text.slice(i3)).toMatch(new RegExp(`reject \\[corrects #${r2}\\] \\[effective\\]`));
    // Numbered pages, and the last line gives their count: a missing or cut-off page shows.
    pages.forEach((p, i) => expect(flat(p)).toContain(`page ${i + 1}`));
    expect(flat(pages.at(-1)!)).toContain(`End of report: ${res.runs} runs, ${pages.length} pages.`);

    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(res).toMatchObject({ format: 'pdf', runs: 24, sha256: sha, bytes: bytes.length });
    const entry = f.store.db.prepare('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1').get() as Record<string, unknown>;
    expect(entry).toMatchObject({ seq: head.seq + 1, actor: 'kim.j', action: 'export.pdf', entity: 'event', entity_id: 'report.pdf', record_hash: sha });
    expect(verifyAudit(f.store.db, readAnchor(f.store.file)).ok).toBe(true);
  });

  it('states the filters and covers only the matching runs', async () => {
    const out = join(f.dir, 'reviewed.pdf');
    const res = await auditReport(f.store, { reviewer: 'lee.s' }, 'lee.s', { out });
    expect(res.runs).toBe(2);
    const text = flat((await pdfText(readFileSync(out))).join('\n'));
    expect(text).toContain('Filters: reviewer = lee.s');
    expect(text).toContain('Runs: 2');
    expect(text).toContain('Exported by: Lee Seoyeon (lee.s, supervisor)');
  });

  it('refuses without an operator', async () => {
    await expect(auditReport(f.store, {}, undefined, { out: join(f.dir, 'x.pdf') })).rejects.toMatchObject({ code: 'OPERATOR_REQUIRED' });
  });

  it('falls back to Helvetica without a CJK font and says so', async () => {
    const out = join(f.dir, 'latin.pdf');
    await auditReport(f.store, {}, 'kim.j', { out, font: { regular: null, bold: null } });
    const text = flat((await pdfText(readFileSync(out))).join('\n'));
    expect(text).toContain('Exported by: ??? (kim.j, reviewer)');
    expect(text).toContain('No CJK font was found');
  });

  it('reports a tampered history as broken at the first bad entry', async () => {
    // Someone with the database file removes the guard and edits a review's note.
    f.store.db.exec('DROP TRIGGER reviews_no_update');
    f.store.db.prepare("UPDATE reviews SET note = 'looks fine' WHERE id = (SELECT min(id) FROM reviews WHERE note IS NOT NULL)").run();
    const expected = verifyAudit(f.store.db, readAnchor(f.store.file));
    expect(expected.ok).toBe(false);
    const out = join(f.dir, 'tampered.pdf');
    const res = await auditReport(f.store, {}, 'kim.j', { out });
    expect(res.chain.firstBreak).toEqual(expected.firstBreak);
    const text = flat((await pdfText(readFileSync(out))).join('\n'));
    expect(text).toContain(`Audit chain: BROKEN at entry #${expected.firstBreak!.seq}: AUDIT_RECORD_ALTERED`);
  });
});
