/**
 * The bundled line demo, end to end through the worker with the shipped packs: files grouped into
 * cells by `{serial}_{view}`, each view routed to the pack of its side, and each cell's verdict exactly
 * what the rules of inspector.yaml give for its two side decisions.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHost } from '../../../src/host/createHost';
import { nodeWorkerLauncher } from '../../../src/host/nodeWorker';
import { appPaths } from '../../../src/host/paths';
import { repoRoot } from '../../support/paths';

const demo = join(repoRoot, 'resources', 'samples', 'line-demo');
const paths = appPaths(repoRoot, '/tmp/inspector-line-demo-test');

describe('line demo: integrated verdict from inspector.yaml', () => {
  const host = createHost(paths, nodeWorkerLauncher(repoRoot), 'media:');
  afterAll(() => host.close());

  it('groups cells, routes views to their packs and applies the rules', async () => {
    const report = await host.worker.call('inspect', { paths: [demo], config: join(demo, 'inspector.yaml') });
    expect(report.cases.map((c) => c.id)).toEqual(['cell-001', 'cell-002', 'cell-003', 'cell-004']);
    // Each view: its side's pack decides; the side's grounding pack adds findings (boxes) on it.
    expect(report.results).toHaveLength(16);
    for (const r of report.results) {
      expect(r.error).toBeUndefined();
      expect(r.side).toBe(r.source.endsWith('_ct.png') ? 'internal' : 'external');
      if (r.role === 'findings') {
        expect(r.pack.name).toBe('defects-grounding');
        expect(r.grounding!.phrases).toEqual([r.source.endsWith('_ct.png') ? 'porosity' : 'pitting']);
        for (const d of r.detections!) expect(d.label).toBe(r.grounding!.phrases[0]);
      } else expect(r.pack.name).toBe(r.source.endsWith('_ct.png') ? 'battery-ct-porosity' : 'surface-pitting-ae');
    }
    expect(report.results.filter((r) => r.role === 'findings')).toHaveLength(8);
    for (const c of report.cases) {
      const i = c.verdict.sides['internal']!.decision;
      const e = c.verdict.sides['external']!.decision;
      const expected =
        i === 'defect' && e === 'defect' ? 'COMBINED_DEFECT' : i === 'defect' ? 'INTERNAL_DEFECT' : e === 'defect' ? 'EXTERNAL_DEFECT' : i === 'uncertain' || e === 'uncertain' ? 'UNCERTAIN' : 'PASS';
      expect(c.verdict.verdict, c.id).toBe(expected);
      expect(c.verdict.method).toBe('rule_based');
      expect(c.verdict.configSha256).toBe(report.configSha256);
    }
    // The CT regions with inserted voids are the internal defects.
    expect(report.cases.find((c) => c.id === 'cell-002')!.verdict.sides['internal']!.decision).toBe('defect');
    expect(report.cases.find((c) => c.id === 'cell-001')!.verdict.sides['internal']!.decision).toBe('pass');
    // The voids of cell-002's CT view are boxed by the grounding pack, and a box lies on them:
    // its label score reaches the internal side (for rules like `internal: "porosity >= 0.5"`).
    const ct2 = report.results.find((r) => r.role === 'findings' && r.source.endsWith('cell-002_ct.png'))!;
    expect(ct2.detections!.length).toBeGreaterThan(0);
    expect(report.cases.find((c) => c.id === 'cell-002')!.verdict.sides['internal']!.labelScores!['porosity']).toBeCloseTo(ct2.detections![0]!.score, 6);
  });
});
