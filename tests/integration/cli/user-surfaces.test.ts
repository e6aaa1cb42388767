/**
 * What a line inspector reads from the CLI, walked as README.md says on a fresh data folder (the QA
 * pass): the batch summary counts images in the unit its start line and progress use (line-demo runs
 * two packs per view, so runs ≠ images) and `--json` gives the raw counts its images/s is made of;
 * batch applies inspect's --cam-layer/--cam-fuse with the same checks; `history show`
 * prints timings a person can read; a run without inspector.yaml says "defaults" instead of the
 * bare hash of empty text; and `inspect --help` names the grounding flags README shows.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pdfText } from '../reports/support/pdfText';
import { cli, ctPng, samples, scratchDir } from './support';

const EMPTY_SHA = 'e3b0c44298fc';

describe('the CLI as its user reads it', () => {
  const root = scratchDir('user-surfaces');
  const line = join(root, 'line');
  const demo = join(samples, 'line-demo');
  mkdirSync(line, { recursive: true });
  for (const f of ['cell-002_ct.png', 'cell-002_surface.jpg']) copyFileSync(join(demo, f), join(line, f));
  const db = join(root, 'history.sqlite');
  const run = (args: string[]) => cli([...args, '--db', db], { dataDir: root });

  it('batch with two packs per view: the summary counts 2 images (and 4 pack runs), not "4 inspected … of 2 images"', () => {
    const r = run(['batch', line, '--config', join(demo, 'inspector.yaml')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('started: 2 images');
    expect(r.stdout).toContain('done: 2 of 2 images finished now, 0 already recorded; 4 pack runs recorded, 0 failed');
    expect(r.stdout).not.toMatch(/4 inspected/);
    // The printed rate is images over the printed time, whatever the machine's speed: both figures
    // are rounded to 0.1, so it may be anything 2 / t gives for t within ±0.05 s of the time (± 0.05).
    const [, secsText, rateText] = /Time ([\d.]+) s \(([\d.]+) images\/s\)/.exec(r.stdout)!;
    const secs = Number(secsText);
    const rate = Number(rateText);
    expect(rate).toBeGreaterThanOrEqual(2 / (secs + 0.05) - 0.05);
    expect(rate).toBeLessThanOrEqual(2 / Math.max(secs - 0.05, 0.01) + 0.05);
  });

  it('batch --json gives the raw counts: 2 images, 4 pack runs, and an images/s that is images over its seconds (never runs)', () => {
    const other = join(root, 'json.sqlite');
    const r = cli(['batch', line, '--config', join(demo, 'inspector.yaml'), '--json', '--db', other], { dataDir: root });
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as { total: number; images: number; inspected: number; errors: number; skipped: number; cases: number; seconds: number; imagesPerSecond: number };
    expect(s).toMatchObject({ total: 2, images: 2, inspected: 4, errors: 0, skipped: 0, cases: 1 });
    expect(s.seconds).toBeGreaterThan(0);
    // Exact, not a wall-clock bound: the rate times the duration gives back the images, not the runs.
    expect(s.imagesPerSecond * s.seconds).toBeCloseTo(s.images, 9);
  });

  it('batch applies --cam-layer / --cam-fuse to its cases as inspect does (recorded with each run); a bad layer or fuse list is refused with inspect\'s codes, recording nothing', () => {
    const other = join(root, 'other.sqlite');
    const layer = '/features/features.3/act/Relu_output_0';
    const fused = '/features/features.2/act/Relu_output_0';
    // Refused before a batch is recorded: an unknown layer (EXPLAIN_LAYER_UNKNOWN, exit 1) and a one-layer fuse (USAGE, exit 2).
    const unknown = cli(['batch', ctPng, '--pack', 'battery-ct-porosity', '--cam-layer', 'NOPE', '--db', other], { dataDir: root });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('EXPLAIN_LAYER_UNKNOWN: NOPE is not a layer of battery-ct-porosity');
    const oneFuse = cli(['batch', ctPng, '--pack', 'battery-ct-porosity', '--cam-fuse', 'a', '--db', other], { dataDir: root });
    expect(oneFuse.status).toBe(2);
    expect(oneFuse.stderr).toContain('USAGE: --cam-fuse needs at least two layers');
    expect(existsSync(other)).toBe(false);

    const ok = cli(['batch', ctPng, '--pack', 'battery-ct-porosity', '--cam-layer', layer, '--cam-fuse', fused, '--db', other], { dataDir: root });
    expect(ok.status, ok.stderr).toBe(0);
    // Recorded as inspect records the same flags: every fused layer, and the fusion rule.
    const shown = JSON.parse(cli(['history', 'show', '1', '--json', '--db', other], { dataDir: root }).stdout) as { run: { explanation: { target?: string; layers?: string[]; fusion?: string } } };
    expect([...shown.run.explanation.layers!].sort()).toEqual([fused, layer].sort());
    expect(shown.run.explanation.fusion).toBe('mean-minmax');
    expect(cli(['history', 'show', '1', '--db', other], { dataDir: root }).stdout).toMatch(/explain {3}hirescam \(minmax\) layers \S+, \S+ fused \(mean-minmax\)/);
  });

  it('batch applies a grounding pack\'s --prompt and --box-threshold to its cases (recorded with each run)', () => {
    const data = scratchDir('user-surfaces-batch-prompt');
    const own = (args: string[]) => cli(args, { dataDir: data });
    const r = own(['batch', join(samples, 'pcb-grounding'), '--pack', 'defects-grounding', '--prompt', 'short . spur .', '--box-threshold', '0.4']);
    expect(r.status, r.stderr).toBe(0);
    const listed = JSON.parse(own(['history', 'list', '--json']).stdout) as { rows: { runId: number; threshold: number }[] };
    expect(listed.rows.length).toBeGreaterThan(0);
    for (const row of listed.rows) {
      expect(row.threshold).toBe(0.4);
      expect(own(['history', 'show', String(row.runId)]).stdout).toMatch(/short \. spur \./);
    }
  });

  it('history show prints timings rounded with their unit, not raw doubles', () => {
    const r = run(['history', 'show', '1']);
    expect(r.status, r.stderr).toBe(0);
    const timings = r.stdout.split('\n').find((l) => l.trimStart().startsWith('timings'))!;
    expect(timings).toMatch(/preprocess \d+\.\d ms, inference \d+\.\d ms, explain \d+\.\d ms, total \d+\.\d ms, batchSize \d+/);
    expect(timings).not.toMatch(/\d\.\d{4,}/);
  });

  it('inspect without --config says its verdict used the defaults; with one, the file\'s hash; so does the PDF', async () => {
    const bare = run(['inspect', ctPng, '--pack', 'battery-ct-porosity']);
    expect(bare.status, bare.stderr).toBe(0);
    expect(bare.stdout).toContain('Cases (1), config defaults (no inspector.yaml)');
    expect(bare.stdout).not.toContain(EMPTY_SHA);
    const withFile = cli(['inspect', join(line, 'cell-002_ct.png'), '--config', join(demo, 'inspector.yaml'), '--no-record'], { dataDir: root });
    expect(withFile.status, withFile.stderr).toBe(0);
    expect(withFile.stdout).toMatch(/Cases \(1\), config [0-9a-f]{12}\n/);
    const show = run(['history', 'show', '5']);
    expect(show.stdout).toContain('config defaults (no inspector.yaml)');
    expect(run(['operator', 'create', 'kim.j', '--name', 'Kim Jiwoo', '--select']).status).toBe(0);
    const pdf = join(root, 'audit.pdf');
    expect(run(['audit', 'report', '--out', pdf]).status).toBe(0);
    const text = (await pdfText(readFileSync(pdf))).join('\n');
    expect(text).toContain('as given: weighted_average, config defaults (no inspector.yaml)');
    expect(text).toMatch(/as given: rule_based rule \d, config [0-9a-f]{12}/);
    expect(text).not.toContain(EMPTY_SHA);
  });

  it('inspect --help names the grounding flags README uses (--prompt) and the CAM layer flags', () => {
    const help = cli(['inspect', '--help'], { dataDir: root }).stdout;
    for (const flag of ['--prompt', '--box-threshold', '--text-threshold', '--cam-layer', '--cam-fuse']) expect(help).toContain(flag);
  });

  it('the command list names every subcommand each command\'s own --help shows (central drift, threshold propose, …)', () => {
    const top = cli(['--help'], { dataDir: root }).stdout;
    const listed = [...top.matchAll(/^ {2}(\S+) {2,}.*\(([a-z|-]+)\)$/gm)].map((m) => ({ cmd: m[1]!, subs: m[2]!.split('|') }));
    expect(listed.map((l) => l.cmd)).toEqual(expect.arrayContaining(['history', 'audit', 'central', 'threshold', 'settings', 'db', 'operator']));
    for (const { cmd, subs } of listed) {
      const help = cli([cmd, '--help'], { dataDir: root }).stdout;
      const shown = [...new Set([...help.matchAll(new RegExp(`inspector ${cmd} ([a-z][a-z-]+)`, 'g'))].map((m) => m[1]!))];
      expect(shown.length, cmd).toBeGreaterThan(0);
      for (const sub of shown) expect(subs, `${cmd} ${sub} missing from the command list`).toContain(sub);
    }
  });

  it('an anomaly run says its score is normalised (threshold at 0.5) beside the raw threshold, not two bare thresholds', () => {
    const img = join(samples, 'surface-pitting-ae', '01_200916071012_277500_315_crop_1.jpg');
    const out = cli(['inspect', img, '--pack', 'surface-pitting-ae', '--no-record'], { dataDir: root }).stdout;
    expect(out).toMatch(/anomaly \(autoencoder\) score 0\.\d{3} normalised, threshold at 0\.5 {2}\(raw score [\d.]+\)\n/);
    expect(out).toMatch(/threshold [\d.]+ on raw anomaly score: pack default/);
  });

  it('history list --verdict PASS (a case verdict, not a run\'s) finds nothing and says which verdicts runs carry', () => {
    const r = run(['history', 'list', '--verdict', 'PASS']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('0 rows');
    expect(r.stderr).toMatch(/note: no run has the AI verdict PASS; the AI verdicts recorded here are [a-z, ]*normal[a-z, ]*\(PASS, INTERNAL_DEFECT, … are case verdicts/);
    const known = run(['history', 'list', '--verdict', 'normal']);
    expect(known.stdout).not.toContain('0 rows');
    expect(known.stderr).not.toContain('note:');
    expect(run(['history', 'list', '--verdict', 'INCOMPLETE']).stderr).not.toContain('note:');
  });

  it('the PDF audit report never starts a page with a run\'s review line cut off from its run (thumbnail blocks kept whole)', async () => {
    const data = scratchDir('user-surfaces-pdf');
    const own = (args: string[]) => cli(args, { dataDir: data });
    // The battery folder's 8 runs, 4 of them defects with thumbnails: before, page 3 began "Not reviewed".
    expect(own(['inspect', join(samples, 'battery-ct-porosity'), '--pack', 'battery-ct-porosity']).status).toBe(0);
    expect(own(['operator', 'create', 'kim.j', '--name', 'Kim Jiwoo', '--select']).status).toBe(0);
    const pdf = join(data, 'audit.pdf');
    expect(own(['audit', 'report', '--out', pdf]).status).toBe(0);
    const pages = await pdfText(readFileSync(pdf));
    expect(pages.length).toBeGreaterThan(1);
    for (const [i, page] of pages.entries()) {
      const first = page.split('\n').map((l) => l.trim()).find(Boolean) ?? '';
      expect(first, `page ${i + 1}`).not.toMatch(/^(Not reviewed|Review #)/);
    }
  });

  it('a chest image its pack calls uncertain is recorded uncertain (not its top class "normal") and its case is UNCERTAIN, never PASS', () => {
    const data = scratchDir('user-surfaces-chest');
    const own = (args: string[]) => cli(args, { dataDir: data });
    const img = join(samples, 'chest-xray-pneumonia', 'pneumonia_00000506_013.jpg');
    const r = own(['inspect', img, '--pack', 'chest-xray-pneumonia']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/decision UNCERTAIN \(pneumonia\)/);
    expect(r.stdout).toMatch(/: UNCERTAIN \(internal: pneumonia\)\s+weighted_average/);
    expect(r.stdout).not.toMatch(/: PASS /);
    const listed = JSON.parse(own(['history', 'list', '--json']).stdout) as { rows: { verdict: string; caseVerdict?: { verdict: string } }[] };
    expect(listed.rows).toHaveLength(1);
    expect(listed.rows[0]!.verdict).toBe('uncertain');
    expect(listed.rows[0]!.caseVerdict?.verdict).toBe('UNCERTAIN');
  });

  it('a grounding run records the box threshold it decided at (the pack\'s 0.3), not a fixed 0.5', () => {
    const data = scratchDir('user-surfaces-grounding');
    const own = (args: string[]) => cli(args, { dataDir: data });
    const r = own(['inspect', join(samples, 'pcb-grounding'), '--pack', 'defects-grounding', '--prompt', 'short . spur .']);
    expect(r.status, r.stderr).toBe(0);
    const listed = JSON.parse(own(['history', 'list', '--json']).stdout) as { rows: { threshold: number; score: number; verdict: string }[] };
    expect(listed.rows.length).toBeGreaterThan(0);
    for (const row of listed.rows) {
      expect(row.threshold).toBe(0.3);
      // A defect is never recorded below the threshold it states.
      if (row.verdict !== 'normal') expect(row.score).toBeGreaterThanOrEqual(row.threshold);
    }
  });

  it('regions of a passed CT view carry the class its map explains (porosity), not the decision\'s "normal"', () => {
    const data = scratchDir('user-surfaces-regions');
    const own = (args: string[]) => cli(args, { dataDir: data });
    expect(own(['inspect', join(samples, 'battery-ct-porosity'), '--pack', 'battery-ct-porosity']).status).toBe(0);
    const listed = JSON.parse(own(['history', 'list', '--json']).stdout) as { rows: { runId: number; verdict: string }[] };
    const passed = listed.rows.filter((r) => r.verdict === 'normal');
    expect(passed.length).toBeGreaterThan(0);
    let withRegions = 0;
    for (const row of passed) {
      const line = own(['history', 'show', String(row.runId)]).stdout.split('\n').find((l) => l.trimStart().startsWith('regions'))!;
      if (line.trim() === 'regions   -') continue;
      withRegions++;
      expect(line).toMatch(/porosity \[/);
      expect(line).not.toMatch(/normal \[/);
    }
    expect(withRegions).toBeGreaterThan(0);
  });

  it('history stats does not count a skipped non-image file as a failed attempt', () => {
    const data = scratchDir('user-surfaces-stats');
    const folder = join(data, 'parts');
    mkdirSync(folder, { recursive: true });
    copyFileSync(ctPng, join(folder, 'cell_ct.png'));
    writeFileSync(join(folder, 'notes.txt'), 'operator notes, not an image');
    const own = (args: string[]) => cli(args, { dataDir: data });
    expect(own(['inspect', folder, '--pack', 'battery-ct-porosity']).status).toBe(0);
    const out = own(['history', 'stats']).stdout;
    expect(out).toContain('Errors: 0 failed images (0.0% of attempts); 1 non-image files skipped (not counted as attempts)');
  });
});
