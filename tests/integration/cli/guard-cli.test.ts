/**
 * The input guard as a line script sees it: the chest sample through the battery-CT pack is
 * INPUT_OUT_OF_DISTRIBUTION in the CLI's text (with its reason) and JSON, its decision and case
 * UNCERTAIN — never PASS, never a confident porosity — and the history records the flag.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../support/paths';
import { bin, cli, node, samples, scratchDir } from './support';

const CHEST = join(samples, 'chest-xray-pneumonia', 'normal_00001299_000.jpg');

describe('inspect: the chest sample through the battery pack', () => {
  it('text and JSON say INPUT_OUT_OF_DISTRIBUTION with a reason; UNCERTAIN; recorded as a warning', () => {
    const root = scratchDir('guard-cli');
    const text = cli(['inspect', CHEST, '--pack', 'battery-ct-porosity'], { dataDir: root });
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/decision UNCERTAIN/);
    expect(text.stdout).toMatch(/ {2}INPUT_OUT_OF_DISTRIBUTION: .*Mahalanobis distance.*\d+\.\d+ > \d+\.\d+/);
    expect(text.stdout).toMatch(/: UNCERTAIN /);
    expect(text.stdout).not.toMatch(/INTERNAL_DEFECT|: PASS/);
    const json = cli(['inspect', CHEST, '--pack', 'battery-ct-porosity', '--json'], { dataDir: root });
    const out = JSON.parse(json.stdout) as { results: { decision: string; guard: { outOfDistribution: boolean; code: string; reasons: string[] } }[]; cases: { verdict: { verdict: string }; flags: { code: string }[] }[] };
    expect(out.results[0]!.decision).toBe('uncertain');
    expect(out.results[0]!.guard).toMatchObject({ outOfDistribution: true, code: 'INPUT_OUT_OF_DISTRIBUTION' });
    expect(out.results[0]!.guard.reasons.length).toBeGreaterThan(0);
    expect(out.cases[0]!.verdict.verdict).toBe('UNCERTAIN');
    expect(out.cases[0]!.flags.map((f) => f.code)).toEqual(['INPUT_OUT_OF_DISTRIBUTION']);
    const db = new Database(join(root, 'inspector.sqlite'), { readonly: true });
    const rows = db.prepare(`SELECT r.verdict, json_extract(i.validation, '$.code') AS code, json_extract(r.scores, '$.outOfDistribution') AS ood FROM inference_runs r JOIN images i ON i.id = r.image_id`).all();
    const verdicts = db.prepare('SELECT verdict FROM case_verdicts').pluck().all();
    db.close();
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toEqual({ verdict: 'uncertain', code: 'INPUT_OUT_OF_DISTRIBUTION', ood: 1 });
    expect(verdicts).toEqual(['UNCERTAIN', 'UNCERTAIN']);
  });

  it('pack guard (onnxruntime in the CLI process): no onnxruntime provider-load lines on the terminal', () => {
    const root = scratchDir('guard-quiet');
    const r = cli(['pack', 'guard', join(repoRoot, 'models', 'surface-pitting-ae'), '--calibrate', join(samples, 'surface-pitting-ae'), '--limit', '4'], { dataDir: root });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/chosen: /);
    expect(r.stderr).not.toMatch(/onnxruntime|provider_bridge/);
    expect(r.stderr).not.toContain('\u001b[1;31m'); // no red native log lines
  });

  it('the segmentation pack has a guard too: the chest sample is flagged, its own BSData samples are not', () => {
    const root = scratchDir('guard-seg');
    // The JSON carries every mask (~1.9 MB): read whole from a pipe, as a line script does. The CLI
    // used to exit before the pipe took it all, cutting it at 64 KiB.
    const r = spawnSync(node, [bin, 'inspect', CHEST, join(samples, 'surface-pitting-ae'), '--pack', 'surface-pitting-seg', '--json'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, INSPECTOR_DATA_DIR: root },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(256 * 1024);
    const out = JSON.parse(r.stdout) as { results: { source: string; decision: string; guard?: { outOfDistribution: boolean } }[] };
    const chest = out.results.find((x) => x.source === CHEST)!;
    expect(chest.guard?.outOfDistribution).toBe(true);
    expect(chest.decision).toBe('uncertain');
    const own = out.results.filter((x) => x.source !== CHEST);
    expect(own.length).toBeGreaterThanOrEqual(4);
    for (const x of own) expect(x.guard?.outOfDistribution, x.source).toBe(false);
  });
});

describe('inspect: the grounding pack has a guard (union of its three training domains)', () => {
  it('the chest sample is flagged, UNCERTAIN, its boxes withheld, recorded; the pack\'s own PCB, CT and surface samples are not', () => {
    const root = scratchDir('guard-grounding');
    const own = [join(samples, 'pcb-grounding'), join(samples, 'grounding', 'ct'), join(samples, 'grounding', 'surface')];
    const r = cli(['inspect', CHEST, ...own, '--pack', 'defects-grounding', '--json'], { dataDir: root });
    expect(r.status, r.stderr).toBe(0);
    type Out = {
      results: { source: string; decision: string; regions: unknown[]; guard?: { outOfDistribution: boolean; code?: string; reasons: string[]; statistic?: { feature: string } } }[];
      cases: { id: string; images: string[]; verdict: { verdict: string; sides: Record<string, { labelScores?: Record<string, number> }> }; flags?: { code: string; pack: string }[] }[];
    };
    const out = JSON.parse(r.stdout) as Out;
    const chest = out.results.find((x) => x.source === CHEST)!;
    expect(chest.guard).toMatchObject({ outOfDistribution: true, code: 'INPUT_OUT_OF_DISTRIBUTION', statistic: { feature: 'histogram' } });
    expect(chest.guard!.reasons.join(' ')).toMatch(/intensity histogram is unlike the reference images .*\d+\.\d+ > \d+\.\d+/);
    // Findings never decide: no PASS, no defect, no boxes as regions or label scores.
    expect(chest.decision).toBe('uncertain');
    expect(chest.regions).toEqual([]);
    const chestCase = out.cases.find((c) => c.images.includes(CHEST))!;
    expect(chestCase.verdict.verdict).toBe('UNCERTAIN');
    expect(chestCase.flags).toEqual([expect.objectContaining({ code: 'INPUT_OUT_OF_DISTRIBUTION', pack: 'defects-grounding' })]);
    expect(Object.values(chestCase.verdict.sides).every((s) => !s.labelScores)).toBe(true);
    const mine = out.results.filter((x) => x.source !== CHEST);
    expect(mine).toHaveLength(9);
    for (const x of mine) expect(x.guard, x.source).toMatchObject({ outOfDistribution: false, reasons: [] });
    // The PCB samples keep their boxes and their defect decision.
    expect(mine.filter((x) => x.source.includes('pcb-grounding')).every((x) => x.decision === 'defect' && x.regions.length > 0)).toBe(true);
    const db = new Database(join(root, 'inspector.sqlite'), { readonly: true });
    const row = db.prepare(`SELECT r.verdict, json_extract(i.validation, '$.code') AS code, json_extract(r.scores, '$.outOfDistribution') AS ood FROM inference_runs r JOIN images i ON i.id = r.image_id WHERE i.source_path = ?`).get(CHEST);
    db.close();
    expect(row).toEqual({ verdict: 'uncertain', code: 'INPUT_OUT_OF_DISTRIBUTION', ood: 1 });
  });
});
