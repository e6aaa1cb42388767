/**
 * A run's layer choice end to end on the shipped battery-CT pack: `--cam-layer` / `--cam-fuse`
 * parsed by the CLI's options, applied by the engine service, and the layers the map was made of
 * recorded in the history row (SQLite). The pack's own default (HiResCAM at features.2, chosen by
 * training/battery_ct/cam_layers.py) is what a run without the flags gets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectParams } from '../../../src/cli/inspectOptions';
import { EngineService } from '../../../src/core/engine/service';
import { HistoryStore } from '../../../src/core/history/store';
import { recordInspection } from '../../../src/host/recordInspection';
import { repoRoot } from '../../support/paths';

const F1 = '/features/features.1/act/Relu_output_0';
const F2 = '/features/features.2/act/Relu_output_0';
const F4 = '/features/features.4/act/Relu_output_0';
const pack = join(repoRoot, 'models', 'battery-ct-porosity');
const image = join(repoRoot, 'resources', 'samples', 'battery-ct-porosity', 'ct_slice2_porosity_1.png');
const service = new EngineService([{ dir: join(repoRoot, 'models'), source: 'app' }]);
const dir = mkdtempSync(join(os.tmpdir(), 'inspector-camlayer-'));
afterAll(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('--cam-layer / --cam-fuse', () => {
  it('parses the flags and refuses a fusion of one layer', () => {
    expect(inspectParams({ 'cam-layer': F4 }).camLayers).toEqual({ layer: F4 });
    expect(inspectParams({ 'cam-fuse': `${F1}, ${F2}` }).camLayers).toEqual({ fuse: [F1, F2] });
    expect(() => inspectParams({ 'cam-fuse': F1 })).toThrow(/at least two layers/);
    expect(inspectParams({ 'cam-layer': F2, 'cam-fuse': F1 }).camLayers).toEqual({ layer: F2, fuse: [F1] });
  });

  it('default, another layer and a fused map; the layers land in the history row', async () => {
    const base = { paths: [image], packs: [pack], providers: ['cpu'] };
    const byDefault = (await service.inspect(base)).results[0]!;
    expect(byDefault.explanation!.method).toBe('hirescam');
    expect(byDefault.explanation!.target).toBe(F2);
    expect([byDefault.explanation!.map.width, byDefault.explanation!.map.height]).toEqual([20, 20]);
    expect(byDefault.explanation!.map.scale.mode).toBe('anchored');

    const last = (await service.inspect({ ...base, ...inspectParams({ 'cam-layer': F4 }) })).results[0]!;
    expect(last.explanation!.target).toBe(F4);
    expect(last.explanation!.map.width).toBe(10);
    // Only the explanation changed: same probabilities, same decision.
    expect(last.classification!.probabilities).toEqual(byDefault.classification!.probabilities);

    const report = await service.inspect({ ...base, ...inspectParams({ 'cam-fuse': `${F1},${F2}` }) });
    const fused = report.results[0]!;
    expect(fused.explanation!.layers).toEqual([F1, F2]);
    expect(fused.explanation!.fusion).toBe('mean-minmax');
    expect([fused.explanation!.map.width, fused.explanation!.map.height]).toEqual([160, 160]);
    expect(fused.explanation!.map.scale.mode).toBe('minmax');
    expect(Math.max(...fused.explanation!.map.data)).toBeCloseTo(1, 5);

    const store = HistoryStore.open(join(dir, 'history.sqlite'));
    try {
      const [runId] = recordInspection(store, report, { station: 'test', line: 'test' });
      const row = store.sql('SELECT explanation FROM inference_runs WHERE id = ?').get(runId) as { explanation: string };
      const ex = JSON.parse(row.explanation) as { method: string; target: string; layers: string[]; fusion: string };
      expect(ex).toMatchObject({ method: 'hirescam', target: F1, layers: [F1, F2], fusion: 'mean-minmax' });
    } finally {
      store.close();
    }
  });

  it('an unknown layer: EXPLAIN_LAYER_UNKNOWN before any image runs', async () => {
    await expect(service.inspect({ paths: [image], packs: [pack], providers: ['cpu'], camLayers: { layer: 'logits' } })).rejects.toMatchObject({ code: 'EXPLAIN_LAYER_UNKNOWN' });
  });
});
