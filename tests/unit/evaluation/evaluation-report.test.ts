/**
 * The evaluation's PDF validation record, read back with poppler's pdftotext: the set identity,
 * pack identity, metrics with intervals (as `evaluate --json` reported them), the plots' titles,
 * the applied threshold version with who applied it, and the audit head it states — and the PDF's
 * own hash logged in the chain, which still verifies. Real CT pack and images, real history.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/paths';

const bin = join(repoRoot, 'bin', 'inspector.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 180_000 });
const samples = join(repoRoot, 'resources', 'samples', 'battery-ct-porosity');
const hasPdftotext = spawnSync('pdftotext', ['-v'], { encoding: 'utf8' }).status === 0;
const text = (pdf: string) => spawnSync('pdftotext', ['-enc', 'UTF-8', pdf, '-'], { encoding: 'utf8' }).stdout;
const flat = (s: string) => s.replace(/\s+/g, '');
const iv = (i: { low: number; high: number }) => `[${i.low.toFixed(3)}, ${i.high.toFixed(3)}]`;

let root: string;
let db: string;
let evaluation: ReturnType<typeof JSON.parse>;

beforeAll(() => {
  root = mkdtempSync(join(os.tmpdir(), 'inspector-eval-report-'));
  db = join(root, 'history.sqlite');
  const set = join(root, 'set');
  for (const [cls, names] of [['normal', ['ct_slice2_normal_1.png', 'ct_slice2_normal_2.png']], ['porosity', ['ct_slice2_porosity_1.png', 'ct_slice2_porosity_2.png']]] as const) {
    mkdirSync(join(set, cls), { recursive: true });
    for (const n of names) copyFileSync(join(samples, n), join(set, cls, n));
  }
  expect(cli('operator', 'create', 'park.s', '--name', 'Park Seo', '--role', 'supervisor', '--select', '--db', db).status).toBe(0);
  const r = cli('evaluate', '--pack', 'battery-ct-porosity', '--set', set, '--db', db, '--json', '--bootstrap', '100', '--pdf', join(root, 'at-evaluation.pdf'));
  expect(r.status, r.stderr).toBe(0);
  evaluation = JSON.parse(r.stdout);
}, 240_000);

describe.skipIf(!hasPdftotext)('evaluation report (PDF)', () => {
  it('evaluate --pdf writes the record at once: identities, metrics with intervals, plots, no threshold applied yet', () => {
    expect(evaluation.report.file).toBe(join(root, 'at-evaluation.pdf'));
    const t = text(join(root, 'at-evaluation.pdf'));
    const p = evaluation.packs[0];
    expect(t).toContain(`Evaluation validation record: evaluation ${evaluation.evaluationId}`);
    expect(flat(t)).toContain(evaluation.set.identity);
    expect(flat(t)).toContain(p.pack.identity);
    expect(t).toContain(`F1 ${p.binary.point.f1.toFixed(3)} ${iv(p.binary.f1Ci)}`);
    expect(t).toContain(`ROC-AUC ${p.binary.rocAuc.toFixed(3)} ${iv(p.binary.rocAucCi)}`);
    expect(t).toMatch(/None applied yet/);
    // The plots, drawn from the same SVGs --out writes (their titles are text in the PDF).
    expect(t).toContain(`battery-ct-porosity: ROC (AUC ${p.binary.rocAuc.toFixed(3)})`);
    expect(t).toContain('battery-ct-porosity: confusion matrix');
    expect(t).toContain('integrated verdict per case');
    expect(t).toMatch(/page 1 of \d/);
  }, 240_000);

  it('evaluation report after apply: the version, who applied it, the audit head; the PDF hash is in the chain', () => {
    const a = cli('threshold', 'apply', '--evaluation', String(evaluation.evaluationId), '--pack', 'battery-ct-porosity', '--objective', 'f1-optimal', '--db', db, '--json');
    expect(a.status, a.stderr).toBe(0);
    const applied = JSON.parse(a.stdout);
    const out = join(root, 'record.pdf');
    const r = cli('evaluation', 'report', String(evaluation.evaluationId), '--out', out, '--db', db, '--json');
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.thresholdVersions).toEqual([applied.thresholdVersion]);
    const t = text(out);
    expect(t).toContain(`Threshold version ${applied.thresholdVersion}, battery-ct-porosity: threshold ${Number(applied.high).toPrecision(5)} by f1-optimal`);
    expect(t).toContain('by Park Seo (park.s, supervisor)');
    expect(t).toContain(`In force now for battery-ct-porosity (${applied.packIdentity.slice(0, 12)}): threshold version ${applied.thresholdVersion}`);
    expect(t).toContain(`Verifies: ${res.chain.entries} entries.`);
    expect(flat(t)).toContain(`entry#${res.chain.head.seq},SHA-256${res.chain.head.hash}`);
    // The stated head is the chain's head just before the report was logged.
    const h = new Database(db, { readonly: true });
    const entry = h.prepare("SELECT seq, action, record_hash AS sha FROM audit_log WHERE action = 'export.pdf' ORDER BY seq DESC LIMIT 1").get() as { seq: number; action: string; sha: string } | undefined;
    const prev = h.prepare('SELECT hash FROM audit_log WHERE seq = ?').get(res.audit.seq - 1) as { hash: string };
    h.close();
    expect(prev.hash).toBe(res.chain.head.hash);
    expect(entry?.seq).toBe(res.audit.seq);
    expect(entry?.sha).toBe(res.sha256);
    expect(createHash('sha256').update(readFileSync(out)).digest('hex')).toBe(res.sha256);
    const v = cli('audit', 'verify', '--db', db, '--json');
    expect(v.status, v.stdout).toBe(0);
  }, 240_000);

  it('refuses without an operator and for an unknown evaluation, leaving no file', () => {
    const out = join(root, 'none.pdf');
    expect(cli('evaluation', 'report', '99', '--out', out, '--db', db).stderr).toMatch(/EVAL_NOT_FOUND/);
    expect(existsSync(out)).toBe(false);
    expect(cli('evaluation', 'report', 'x', '--out', out, '--db', db).status).toBe(2);
  }, 240_000);
});
