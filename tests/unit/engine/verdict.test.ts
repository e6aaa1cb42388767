import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupCases, patternRegex } from '../../../src/core/verdict/cases';
import { parseConfig } from '../../../src/core/verdict/config';
import { integrate, type SideResult } from '../../../src/core/verdict/verdict';
import { scratch } from './support';

const defect = (s: number, label = 'porosity'): SideResult => ({ defectScore: s, decision: 'defect', drivingLabel: label });
const pass = (s: number): SideResult => ({ defectScore: s, decision: 'pass' });
const unsure = (s: number, label = 'scratch'): SideResult => ({ defectScore: s, decision: 'uncertain', drivingLabel: label });

describe('inspector.yaml', () => {
  it('defaults apply to an empty file; the hash is the file text’s', () => {
    const c = parseConfig('');
    expect(c.config.verdict).toMatchObject({ method: 'weighted_average', weights: { internal: 0.5, external: 0.5 }, thresholds: { pass: 0.4, defect: 0.6 } });
    expect(c.sha256).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(parseConfig('verdict:\n  method: voting\n').sha256).not.toBe(c.sha256);
  });

  it('rejects unknown keys, bad thresholds and rule-less rule_based with CONFIG_INVALID', () => {
    for (const text of ['verdict:\n  methd: voting\n', 'verdict:\n  thresholds: { pass: 0.8, defect: 0.2 }\n', 'verdict:\n  method: rule_based\n', 'cases:\n  groupBy: pattern\n']) {
      expect(() => parseConfig(text)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
    expect(() => parseConfig('verdict: [')).toThrow(expect.objectContaining({ code: 'CONFIG_UNREADABLE' }));
  });
});

describe('integrated verdict', () => {
  const wa = parseConfig('verdict:\n  method: weighted_average\n  weights: { internal: 0.7, external: 0.3 }\n  thresholds: { pass: 0.3, defect: 0.5 }\n');

  it('weighted_average: combined score, defect type from the sides, one side alone works', () => {
    expect(integrate({ internal: defect(0.9), external: pass(0.1) }, wa.config, wa.sha256)).toMatchObject({ verdict: 'INTERNAL_DEFECT', drivingSide: 'internal', drivingClass: 'porosity' });
    expect(integrate({ internal: defect(0.9), external: pass(0.1) }, wa.config, wa.sha256).score).toBeCloseTo(0.7 * 0.9 + 0.3 * 0.1, 12);
    expect(integrate({ internal: defect(0.8), external: defect(0.9, 'anomaly') }, wa.config, wa.sha256)).toMatchObject({ verdict: 'COMBINED_DEFECT' });
    expect(integrate({ internal: pass(0.1), external: defect(0.95, 'anomaly') }, wa.config, wa.sha256)).toMatchObject({ verdict: 'UNCERTAIN', drivingSide: 'external' });
    expect(integrate({ external: defect(0.95, 'anomaly') }, wa.config, wa.sha256)).toMatchObject({ verdict: 'EXTERNAL_DEFECT', drivingClass: 'anomaly', score: 0.95 });
    expect(integrate({ internal: pass(0.1) }, wa.config, wa.sha256)).toMatchObject({ verdict: 'PASS', configSha256: wa.sha256 });
    expect(integrate({}, wa.config, wa.sha256).verdict).toBe('UNCERTAIN');
  });

  it('weighted_average: a low combined score never turns a side that said defect or uncertain into PASS', () => {
    // The shipped chest sample: the pack's own band calls 0.320 uncertain; the case threshold 0.4 would have said PASS.
    const d = parseConfig('');
    expect(integrate({ internal: unsure(0.32, 'pneumonia') }, d.config, d.sha256)).toMatchObject({ verdict: 'UNCERTAIN', drivingSide: 'internal', drivingClass: 'pneumonia' });
    // A side decided defect by an applied (lower) pack threshold, outweighed by a clean other side.
    expect(integrate({ internal: defect(0.25), external: pass(0.05) }, wa.config, wa.sha256)).toMatchObject({ verdict: 'UNCERTAIN', drivingSide: 'internal', drivingClass: 'porosity' });
    expect(integrate({ internal: pass(0.2), external: unsure(0.35) }, wa.config, wa.sha256)).toMatchObject({ verdict: 'UNCERTAIN', drivingSide: 'external' });
    // Every side passed: PASS as before.
    expect(integrate({ internal: pass(0.2), external: pass(0.35) }, wa.config, wa.sha256)).toMatchObject({ verdict: 'PASS' });
  });

  it('voting: any defect vote (minDefectVotes 1), or both (2); uncertain otherwise', () => {
    const v1 = parseConfig('verdict:\n  method: voting\n');
    expect(integrate({ internal: pass(0.1), external: defect(0.7, 'anomaly') }, v1.config, v1.sha256).verdict).toBe('EXTERNAL_DEFECT');
    expect(integrate({ internal: unsure(0.5), external: pass(0.1) }, v1.config, v1.sha256)).toMatchObject({ verdict: 'UNCERTAIN', drivingClass: 'scratch' });
    const v2 = parseConfig('verdict:\n  method: voting\n  minDefectVotes: 2\n');
    expect(integrate({ internal: pass(0.1), external: defect(0.7) }, v2.config, v2.sha256).verdict).toBe('UNCERTAIN');
    expect(integrate({ internal: defect(0.8), external: defect(0.7) }, v2.config, v2.sha256).verdict).toBe('COMBINED_DEFECT');
    // With one side present, one vote is all there can be.
    expect(integrate({ internal: defect(0.8) }, v2.config, v2.sha256).verdict).toBe('INTERNAL_DEFECT');
  });

  it('rule_based: first matching rule wins, with the default when none match; deterministic', () => {
    const text = [
      'verdict:',
      '  method: rule_based',
      '  rules:',
      '    - { when: { internal: ">= 0.8" }, verdict: INTERNAL_DEFECT }',
      '    - { when: { internal: defect, external: defect }, verdict: COMBINED_DEFECT }',
      '    - { when: { internal: pass, external: pass }, verdict: PASS }',
      '    - { when: { internal: absent, external: pass }, verdict: PASS }',
      '  default: UNCERTAIN',
    ].join('\n');
    const rb = parseConfig(text);
    const sides = { internal: defect(0.85), external: pass(0.2) };
    const a = integrate(sides, rb.config, rb.sha256);
    expect(a).toMatchObject({ verdict: 'INTERNAL_DEFECT', rule: 0, drivingClass: 'porosity' });
    expect(integrate(sides, rb.config, rb.sha256)).toEqual(a);
    expect(integrate({ internal: defect(0.6), external: defect(0.9, 'anomaly') }, rb.config, rb.sha256)).toMatchObject({ verdict: 'COMBINED_DEFECT', rule: 1 });
    expect(integrate({ external: pass(0.1) }, rb.config, rb.sha256)).toMatchObject({ verdict: 'PASS', rule: 3 });
    expect(integrate({ internal: unsure(0.5), external: pass(0.1) }, rb.config, rb.sha256)).toMatchObject({ verdict: 'UNCERTAIN' });
    expect(integrate({ internal: unsure(0.5), external: pass(0.1) }, rb.config, rb.sha256).rule).toBeUndefined();
  });
});

describe('cases', () => {
  it('pattern {serial}_{view}.{ext} groups by serial and assigns sides by view', () => {
    expect(patternRegex('{serial}_{view}.{ext}').exec('A17_ct.png')?.groups).toEqual({ serial: 'A17', view: 'ct', ext: 'png' });
    const cfg = parseConfig('cases:\n  groupBy: pattern\n  pattern: "{serial}_{view}.{ext}"\n  sideField: view\n  sideValues: { ct: internal, rgb: external }\n').config;
    const cases = groupCases(['/d/A17_ct.png', '/d/A17_rgb.jpg', '/d/B02_ct.png', '/d/stray.png'], cfg);
    expect(cases.map((c) => c.id)).toEqual(['A17', 'B02', 'unmatched:/d/stray.png']);
    expect(cases[0]!.images.map((i) => i.side)).toEqual(['internal', 'external']);
  });

  it('folder grouping and a manifest CSV', () => {
    const folder = groupCases(['/x/p1/a.png', '/x/p1/b.png', '/x/p2/c.png'], parseConfig('').config, '/x');
    expect(folder.map((c) => [c.id, c.images.length])).toEqual([['/x/p1', 2], ['/x/p2', 1]]);
    const dir = scratch('cases-csv');
    const csv = join(dir, 'cases.csv');
    writeFileSync(csv, 'path,case,side\na.png,part-1,internal\nb.png,part-1,external\nc.png,part-2,external\n');
    const cfg = parseConfig(`cases:\n  groupBy: manifest\n  manifest: ${JSON.stringify(csv)}\n`).config;
    const cases = groupCases([join(dir, 'a.png'), join(dir, 'b.png'), join(dir, 'c.png')], cfg);
    expect(cases.map((c) => [c.id, c.images.map((i) => i.side)])).toEqual([['part-1', ['internal', 'external']], ['part-2', ['external']]]);
  });
});
