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

const pack = loadPack(join(repoRoot, 'models', 'pcb-defects-grounding'));
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
    expect((await at('porosity >= 0.01')).verdict).toBe('PASS');
  });

  it('rejects a malformed label condition', () => {
    expect(() => config('Short >= high')).toThrow(expect.objectContaining({ code: expect.stringMatching(/CONFIG/) }));
  });
});
