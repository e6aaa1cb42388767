/**
 * What a quality lead reads about segmentation runs and re-inspected cases (QA walk, session 8):
 *  - a segmentation run (models/surface-pitting-seg) records the class that decided (`pitting`, not
 *    the anomaly packs' `anomalous`), the pixel cut it used (pack.yaml's 0.7, not a made-up 0.5) and
 *    its areas in whole source pixels, the same figure in `history show`, the CSV and the PDF;
 *  - a case key inspected twice (a folder inspected image by image: first a pitted screw, then a
 *    clean one) lists both verdicts in the PDF's case section — the newest PASS alone hid the defect.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../reports/support/csv';
import { pdfText } from '../reports/support/pdfText';
import { cli, samples, scratchDir } from './support';

describe('segmentation runs and re-inspected cases as the history, CSV and PDF state them', () => {
  const data = scratchDir('seg-surfaces');
  const folder = join(data, 'screws');
  mkdirSync(folder, { recursive: true });
  const pitted = join(folder, 'pitted.jpg');
  const clean = join(folder, 'clean.jpg');
  copyFileSync(join(samples, 'surface-pitting-ae', '01_200907130824_635000_270_crop_2.jpg'), pitted);
  copyFileSync(join(samples, 'surface-pitting-ae', '01_200828110014_277500_315_crop_2.jpg'), clean);
  const own = (args: string[]) => cli(args, { dataDir: data });

  type Listed = { rows: { runId: number; verdict: string; threshold: number; score: number; sourcePath: string }[] };
  let listed: Listed;

  it('records the deciding class, the pack\'s pixel cut and whole-pixel areas', () => {
    for (const img of [pitted, clean]) expect(own(['inspect', img, '--pack', 'surface-pitting-seg']).status).toBe(0);
    listed = JSON.parse(own(['history', 'list', '--json']).stdout) as Listed;
    expect(listed.rows).toHaveLength(2);
    const defect = listed.rows.find((r) => r.sourcePath === pitted)!;
    const pass = listed.rows.find((r) => r.sourcePath === clean)!;
    expect(defect.verdict).toBe('pitting');
    expect(pass.verdict).toBe('normal');
    // pack.yaml: `threshold: 0.7` for the pitting class.
    for (const r of listed.rows) expect(r.threshold).toBe(0.7);

    const shown = JSON.parse(own(['history', 'show', String(defect.runId), '--json']).stdout) as { run: { scores: Record<string, number>; thresholds: Record<string, number>; regions: unknown[] } };
    const area = shown.run.scores['areaPx.pitting']!;
    expect(area).toBeGreaterThan(0);
    expect(Number.isInteger(area)).toBe(true);
    expect(shown.run.thresholds['pixel.pitting']).toBe(0.7);
    expect(shown.run.thresholds['minAreaModelPx']).toBe(2);
    const text = own(['history', 'show', String(defect.runId)]).stdout;
    expect(text).toContain(`pixels    class where probability pitting ≥ 0.7; regions ≥ 2 model px; area pitting ${area.toLocaleString('en-US')} px`);
  });

  it('the CSV and the PDF give the same area, and the PDF lists both verdicts of the twice-inspected folder', async () => {
    expect(own(['operator', 'create', 'lee.qa', '--name', 'Lee QA', '--role', 'supervisor', '--select']).status).toBe(0);
    const csv = join(data, 'h.csv');
    expect(own(['history', 'export', '--format', 'csv', '--out', csv]).status).toBe(0);
    const [head, ...body] = parseCsv(readFileSync(csv, 'utf8').slice(1));
    const rows = body.map((cells) => Object.fromEntries(head!.map((h, i) => [h, cells[i] ?? '']))).filter((r) => r['record'] === 'run');
    const defect = listed.rows.find((r) => r.sourcePath === pitted)!;
    const area = (JSON.parse(own(['history', 'show', String(defect.runId), '--json']).stdout) as { run: { scores: Record<string, number> } }).run.scores['areaPx.pitting']!;
    expect(rows.find((r) => r['image_path'] === pitted)!['segmentation_areas']).toBe(`pitting ${area} px`);
    expect(rows.find((r) => r['image_path'] === clean)!['segmentation_areas']).toBe('pitting 0 px');

    const pdf = join(data, 'audit.pdf');
    expect(own(['audit', 'report', '--out', pdf]).status).toBe(0);
    const text = (await pdfText(readFileSync(pdf))).join('\n');
    expect(text).toContain(`Area: pitting ${area.toLocaleString('en-US')} px (pixels where probability pitting >= 0.7, regions of >= 2 model px)`);
    expect(text).toContain(`${folder}: 2 inspections: 1 not PASS, newest PASS`);
    const cases = text.slice(text.indexOf('Case verdicts'));
    const lines = cases.split('\n').map((l) => l.trim());
    const first = lines.findIndex((l) => l.startsWith('EXTERNAL_DEFECT'));
    const second = lines.findIndex((l) => l.startsWith('PASS') && l.includes(`run ${listed.rows.find((r) => r.sourcePath === clean)!.runId}`));
    expect(first).toBeGreaterThan(0);
    expect(lines[first]).toContain(`run ${defect.runId}`);
    // Oldest first: the defect, then the later PASS.
    expect(second).toBeGreaterThan(first);
  });
});
