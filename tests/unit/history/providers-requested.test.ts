/**
 * The history row says which execution providers were asked for as well as the one that ran: a real
 * inspection asking for CUDA (not in this onnxruntime-node build) runs on the CPU, and the recorded
 * run reads back `providersRequested: ['cuda']`, `provider: 'cpu'`. The new column is sealed in the
 * audit chain (editing it breaks verification), and rows without it keep verifying.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineService } from '../../../src/core/engine/service';
import { getRun, HistoryStore, verifyAudit } from '../../../src/core/history/index';
import { recordInspection } from '../../../src/host/recordInspection';
import { repoRoot } from '../../support/paths';
import { sampleRecord, tempDir } from './support';

const IMAGE = join(repoRoot, 'resources/samples/battery-ct-porosity/ct_slice2_normal_1.png');

describe('requested execution providers in the history row', () => {
  it('a CUDA request that ran on the CPU is recorded as both, sealed in the audit chain', async () => {
    const service = new EngineService([{ dir: join(repoRoot, 'models'), source: 'app' }]);
    const t = tempDir('inspector-providers-');
    const store = HistoryStore.open(t.file);
    try {
      const asked = await service.inspect({ paths: [IMAGE], packs: ['battery-ct-porosity'], providers: ['cuda'], method: 'none' });
      expect(asked.providers).toEqual({ requested: ['cuda'], used: ['cpu'] });
      const plain = await service.inspect({ paths: [IMAGE], packs: ['battery-ct-porosity'], method: 'none' });
      const [askedId] = recordInspection(store, asked);
      const [plainId] = recordInspection(store, plain);
      const a = getRun(store.db, askedId!).run;
      expect(a.provider).toBe('cpu');
      expect(a.providersRequested).toEqual(['cuda']);
      // The default order is no request: recorded as null.
      expect(getRun(store.db, plainId!).run.providersRequested ?? null).toBeNull();
      // A row written without the column (as before the migration) still verifies.
      store.recordInference(sampleRecord(1));
      expect(verifyAudit(store.db).ok).toBe(true);
      // What someone with a SQLite shell does: remove the append-only guards, then edit.
      for (const { name } of store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_no_%'").all() as { name: string }[]) store.db.exec(`DROP TRIGGER ${name}`);
      store.db.prepare('UPDATE inference_runs SET providers_requested = ? WHERE id = ?').run('["cpu"]', askedId);
      const broken = verifyAudit(store.db);
      expect(broken.ok).toBe(false);
      expect(broken.firstBreak).toMatchObject({ entity: 'run', entityId: String(askedId) });
    } finally {
      store.close();
      t.cleanup();
      await service.close();
    }
  }, 60_000);
});
