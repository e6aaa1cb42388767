/**
 * A system of the three-systems comparison is named by what its run recorded: the battery pack's
 * default explanation is HiResCAM, so its system is "HiResCAM", not "Grad-CAM"; the same pack run
 * with Grad-CAM is "Grad-CAM". The recorded agreement carries each run's method, the CLI names runs
 * by it when --systems is not given (the card's labels: tests/unit/renderer/grounding-systems.test.ts).
 * Real engine, real packs, real SQLite.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { agreementCommand } from '../../../src/cli/commands/agreement';
import { recordRunsAgreement, systemNameOf } from '../../../src/core/agreement/index';
import { EngineService } from '../../../src/core/engine/service';
import { getRun, HistoryStore } from '../../../src/core/history/index';
import { loadPack } from '../../../src/core/packs/load';
import { recordInspection } from '../../../src/host/recordInspection';
import { repoRoot } from '../../support/paths';
import { tempDir } from '../history/support';

const CT = join(repoRoot, 'resources/samples/line-demo/cell-002_ct.png');

describe('systems named by the explanation method their runs recorded', () => {
  const service = new EngineService([{ dir: join(repoRoot, 'models'), source: 'app' }]);
  let t: ReturnType<typeof tempDir>;
  let store: HistoryStore;
  const runs: Record<string, number> = {};
  beforeAll(async () => {
    t = tempDir('inspector-system-names-');
    store = HistoryStore.open(t.file);
    const rec = async (key: string, p: Parameters<EngineService['inspect']>[0]) => (runs[key] = recordInspection(store, await service.inspect(p), {})[0]!);
    await rec('default', { paths: [CT], packs: ['battery-ct-porosity'] });
    await rec('gradcam', { paths: [CT], packs: ['battery-ct-porosity'], method: 'gradcam' });
    await rec('anomaly', { paths: [CT], packs: ['surface-pitting-ae'] });
    await rec('grounding', { paths: [CT], packs: ['defects-grounding'], grounding: { prompt: 'porosity .' } });
  }, 180_000);
  afterAll(async () => {
    store.close();
    t.cleanup();
    await service.close();
  });

  it("the battery pack's default method is recorded, and names its system", () => {
    const defaultMethod = loadPack(join(repoRoot, 'models/battery-ct-porosity')).manifest.explanation!.method;
    expect(defaultMethod).toBe('hirescam');
    expect(getRun(store.db, runs['default']!).run.explanation!.method).toBe('hirescam');
    expect(systemNameOf(getRun(store.db, runs['default']!))).toBe('HiResCAM');
    expect(systemNameOf(getRun(store.db, runs['gradcam']!))).toBe('Grad-CAM');
    expect(systemNameOf(getRun(store.db, runs['anomaly']!))).toBe('Anomaly');
    expect(systemNameOf(getRun(store.db, runs['grounding']!))).toBe('Grounding');
  });

  it('the recorded agreement carries each run\'s method', () => {
    const a = recordRunsAgreement(store, { runs: [{ system: 'HiResCAM', runId: runs['default']! }, { system: 'Grounding', runId: runs['grounding']! }] });
    expect(a.systems.map((s) => [s.system, s.method])).toEqual([['HiResCAM', 'hirescam'], ['Grounding', null]]);
  });

  it('inspector agreement without --systems names the runs by what they recorded', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    try {
      store.close();
      const rc = await agreementCommand.run(['--db', t.file, '--json', String(runs['gradcam']), String(runs['anomaly']), String(runs['grounding']), String(runs['default'])]);
      expect(rc).toBe(0);
    } finally {
      spy.mockRestore();
      store = HistoryStore.open(t.file);
    }
    const a = JSON.parse(out.join('')) as { systems: { system: string; method: string | null }[]; pairs: { a: string; b: string }[] };
    expect(a.systems.map((s) => s.system)).toEqual(['Grad-CAM', 'Anomaly', 'Grounding', 'HiResCAM']);
    expect(a.systems.map((s) => s.method)).toEqual(['gradcam', getRun(store.db, runs['anomaly']!).run.explanation!.method, null, 'hirescam']);
    expect(a.pairs[0]).toMatchObject({ a: 'Grad-CAM', b: 'Anomaly' });
  });
});
