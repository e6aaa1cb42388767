/**
 * Issue 11, "no verdict without evidence", through the real CLI on real files: a folder with one
 * good image and several broken ones never yields PASS, in `inspect` and in `batch`; every broken
 * file is named, with its code, by `history list` (text and JSON); the file that is not an image is
 * skipped, reported and recorded; a config that tries to let such a case pass is refused.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokenFolder, cli, scratchDir } from './support';

interface FailedRow { sourcePath: string; code: string; caseKey: string; batchId: number | null; skipped: boolean }

describe('a case with broken images is never PASS', () => {
  const root = scratchDir('broken');
  const part = join(root, 'parts', 'cell-17');
  const f = brokenFolder(part);
  const brokenFiles = Object.values(f.broken);

  it('inspect: INCOMPLETE, the failures listed, the non-image skipped; history list names every file', () => {
    const db = join(root, 'inspect.sqlite');
    const r = cli(['inspect', part, '--pack', 'battery-ct-porosity', '--db', db, '--json'], { dataDir: root });
    expect(r.status, r.stderr).toBe(1); // some image failed
    const report = JSON.parse(r.stdout);
    expect(report.cases).toHaveLength(1);
    const v = report.cases[0].verdict;
    expect(v.verdict).toBe('INCOMPLETE');
    expect(v.inspectedVerdict).toBe('PASS'); // the good image alone passes: exactly what must not leak through
    expect(v.failedImages.map((x: { source: string }) => x.source).sort()).toEqual([...brokenFiles].sort());
    const codes = Object.fromEntries(v.failedImages.map((x: { source: string; code: string }) => [x.source, x.code]));
    expect(codes[f.broken.empty]).toBe('IMAGE_EMPTY_FILE');
    expect(codes[f.broken.text]).toBe('IMAGE_NOT_RECOGNISED');
    for (const file of brokenFiles) expect(codes[file]).toMatch(/^[A-Z][A-Z0-9_]+$/);
    expect(report.skipped).toEqual([expect.objectContaining({ path: f.notImage, code: 'INPUT_NOT_AN_IMAGE', caseId: part })]);

    const text = cli(['inspect', part, '--pack', 'battery-ct-porosity', '--no-record'], { dataDir: root });
    expect(text.stdout).toMatch(/cell-17: INCOMPLETE/);
    expect(text.stdout).toContain('Skipped 1 files that are not images');
    expect(text.stdout).toContain(f.notImage);

    const list = cli(['history', 'list', '--db', db, '--json'], { dataDir: root });
    expect(list.status, list.stderr).toBe(0);
    const page = JSON.parse(list.stdout);
    expect(page.rows.map((x: { sourcePath: string }) => x.sourcePath)).toEqual([f.good]);
    const rows: FailedRow[] = page.failedImages.rows;
    expect(page.failedImages.total).toBe(brokenFiles.length + 1);
    for (const file of brokenFiles) {
      expect(rows.find((x) => x.sourcePath === file), file).toMatchObject({ code: codes[file], caseKey: part, skipped: false });
    }
    expect(rows.find((x) => x.sourcePath === f.notImage)).toMatchObject({ code: 'INPUT_NOT_AN_IMAGE', skipped: true, caseKey: part });

    const listText = cli(['history', 'list', '--db', db], { dataDir: root }).stdout;
    for (const file of [...brokenFiles, f.notImage]) expect(listText).toContain(file);
    expect(listText).toContain('IMAGE_EMPTY_FILE');
    expect(listText).toContain('INPUT_NOT_AN_IMAGE (skipped)');
  });

  it('batch: INCOMPLETE, each failure recorded with file, code, case and batch; the skip reported and recorded', () => {
    const db = join(root, 'batch.sqlite');
    const r = cli(['batch', join(root, 'parts'), '--pack', 'battery-ct-porosity', '--db', db, '--json'], { dataDir: root });
    expect(r.status, r.stderr).toBe(1);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ total: 5, inspected: 1, errors: 4, notImages: 1, cases: 1, verdicts: { INCOMPLETE: 1 } });
    expect(s.verdicts.PASS).toBeUndefined();
    expect(r.stderr).toMatch(new RegExp(`batch ${s.batchId} started: 5 images`));
    expect(r.stderr).toMatch(/case \S*cell-17 INCOMPLETE/);

    const list = JSON.parse(cli(['history', 'list', '--db', db, '--batch', String(s.batchId), '--json'], { dataDir: root }).stdout);
    const rows: FailedRow[] = list.failedImages.rows;
    expect(rows.map((x) => x.sourcePath).sort()).toEqual([...brokenFiles, f.notImage].sort());
    for (const x of rows) expect(x).toMatchObject({ caseKey: part, batchId: s.batchId });

    // Resuming records nothing twice: not the failures, not the skip.
    const again = cli(['batch', join(root, 'parts'), '--pack', 'battery-ct-porosity', '--db', db, '--resume', String(s.batchId), '--json'], { dataDir: root });
    expect(JSON.parse(again.stdout)).toMatchObject({ skipped: 5, inspected: 0, errors: 0 });
    expect(JSON.parse(cli(['history', 'list', '--db', db, '--json'], { dataDir: root }).stdout).failedImages.total).toBe(5);
  });

  it('verdict.incomplete: DEFECT rejects the part; a config that would let it PASS is refused by code', () => {
    // The config beside the images is the run's own, not a stray file to report.
    const strict = join(part, 'inspector.yaml');
    writeFileSync(strict, 'verdict:\n  incomplete: DEFECT\n');
    const r = cli(['inspect', part, '--pack', 'battery-ct-porosity', '--config', strict, '--no-record', '--json'], { dataDir: root });
    const report = JSON.parse(r.stdout);
    expect(report.cases[0].verdict).toMatchObject({ verdict: 'INTERNAL_DEFECT', inspectedVerdict: 'PASS' });
    expect(report.skipped.map((x: { path: string }) => x.path)).toEqual([f.notImage]);

    const lenient = join(root, 'lenient.yaml');
    writeFileSync(lenient, 'verdict:\n  incomplete: PASS\n');
    const refused = cli(['inspect', part, '--pack', 'battery-ct-porosity', '--config', lenient, '--no-record'], { dataDir: root });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('CONFIG_INCOMPLETE_NOT_STRICTER');
    expect(refused.stdout).not.toMatch(/PASS/);
  });
});
