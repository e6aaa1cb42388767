/**
 * Grounding findings in the integrated verdict: a case whose external view is inspected by the
 * grounding pack; `inspector.yaml` rules on a finding label ("short >= t") decide per the boxes
 * actually found, and an unknown label never fires. Rule syntax is validated like the others.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../src/core/engine/engine';
import { inspect, packSide } from '../../../src/core/engine/inspect';
import { loadPack } from '../../../src/core/packs/load';
import { parseConfig } from '../../../src/core/verdict/config';
import { repoRoot } from '../../support/paths';

const pack = loadPack(join(repoRoot, 'models', 'defects-grounding'));
const image = join(repoRoot, 'resources', 'samples', 'pcb-grounding', '20085291_test.jpg');
const engine = new Engine();
afterAll(() => engine.close());

const side = packSide(pack);
const verdictName = side === 'external' ? 'EXTERNAL_DEFECT' : 'INTERNAL_DEFECT';
const config = (when: string) =>
  parseConfig(['verdict:', '  method: rule_based', '  default: PASS', '  rules:', `    - when: { ${side}: "${when}" }`, `      verdict: ${verdictName}`].join('\n'));

describe('inspector.yaml rules on grounding findings', () => {
  it('fire on a found label at its score and not above it, nor on a label never found', async () => {
    const first = await inspect(engine, { paths: [image], packs: [pack], config: config('> 0.99'), grounding: { boxThreshold: 0.2 } });
    const found = first.cases[0]!.verdict.sides[side]!;
    const dets = first.results[0]!.detections!;
    expect(dets.length).toBeGreaterThan(0);
    const top = dets[0]!;
    expect(found.labelScores![top.label]).toBeCloseTo(top.score, 10);
    const at = (when: string) => inspect(engine, { paths: [image], packs: [pack], config: config(when), grounding: { boxThreshold: 0.2 } }).then((r) => r.cases[0]!.verdict);
    const hit = await at(`${top.label} >= ${(top.score - 0.001).toFixed(4)}`);
    expect(hit.verdict).toBe(verdictName);
    expect(hit.rule).toBe(0);
    expect((await at(`${top.label} >= ${(top.score + 0.001).toFixed(4)}`)).verdict).toBe('PASS');
    expect((await at('crack >= 0.01')).verdict).toBe('PASS');
  });

  it('sides.<side>.grounding: findings on that side\'s views, the side\'s own pack still decides', async () => {
    const battery = loadPack(join(repoRoot, 'models', 'battery-ct-porosity'));
    const demo = join(repoRoot, 'resources', 'samples', 'line-demo');
    const yaml = (rule: string) =>
      parseConfig(
        [
          'sides:',
          '  internal: { pack: battery-ct-porosity, grounding: { pack: defects-grounding, prompt: "porosity ." } }',
          'cases: { groupBy: pattern, pattern: "{serial}_{view}.{ext}", sideField: view, sideValues: { ct: internal } }',
          'verdict:',
          '  method: rule_based',
          '  default: PASS',
          '  rules:',
          `    - when: { internal: "${rule}" }`,
          '      verdict: INTERNAL_DEFECT',
        ].join('\n'),
      );
    const run = (rule: string) => inspect(engine, { paths: [join(demo, 'cell-001_ct.png'), join(demo, 'cell-002_ct.png')], packs: [battery, pack], config: yaml(rule), baseDir: demo });
    const r = await run('>= 2');
    // Each CT view: the battery pack's result and one findings result of the grounding pack.
    expect(r.results.map((x) => [x.pack.name, x.role ?? 'decides'])).toEqual([
      ['battery-ct-porosity', 'decides'],
      ['defects-grounding', 'findings'],
      ['battery-ct-porosity', 'decides'],
      ['defects-grounding', 'findings'],
    ]);
    for (const c of r.cases) {
      const own = r.results.find((x) => x.caseId === c.id && !x.role)!;
      const found = r.results.find((x) => x.caseId === c.id && x.role === 'findings')!;
      expect(found.grounding!.phrases).toEqual(['porosity']);
      const side = c.verdict.sides['internal']!;
      // The decision and score are the classifier's; the boxes only add label scores.
      expect(side.decision).toBe(own.decision);
      expect(side.defectScore).toBe(own.defectScore);
      expect(side.labelScores?.['porosity'] ?? 0).toBeCloseTo(found.detections![0]?.score ?? 0, 10);
    }
    const best = Math.max(...r.cases.map((c) => c.verdict.sides['internal']!.labelScores?.['porosity'] ?? 0));
    expect(best).toBeGreaterThan(0.3);
    const fired = await run(`porosity >= ${(best - 0.001).toFixed(4)}`);
    expect(fired.cases.map((c) => c.verdict.verdict)).toContain('INTERNAL_DEFECT');
    expect(() => parseConfig('sides:\n  internal: { pack: a, grounding: { pack: b, promt: "x ." } }')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('rejects a malformed label condition', () => {
    expect(() => config('Short >= high')).toThrow(expect.objectContaining({ code: expect.stringMatching(/CONFIG/) }));
  });
});
