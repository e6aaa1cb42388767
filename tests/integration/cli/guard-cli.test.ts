/**
 * The input guard as a line script sees it: the chest sample through the battery-CT pack is
 * INPUT_OUT_OF_DISTRIBUTION in the CLI's text (with its reason) and JSON, its decision and case
 * UNCERTAIN — never PASS, never a confident porosity — and the history records the flag.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cli, samples, scratchDir } from './support';

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
});
