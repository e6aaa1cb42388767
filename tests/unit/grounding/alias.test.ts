/**
 * The demo grounding pack was renamed `defects-grounding` (it detects on PCB, CT and surface views);
 * its 0.1 name `pcb-defects-grounding` is an alias. Every way of naming a pack (`--pack`, the
 * service's pack list, inspector.yaml sides and their grounding packs) reaches the same pack by
 * either name, and what is recorded is the pack's true identity: its name, version and the same
 * file hashes, whichever name was used. A pack whose own name is the alias still wins over it.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../src/core/engine/engine';
import { inspect } from '../../../src/core/engine/inspect';
import { EngineService } from '../../../src/core/engine/service';
import { getRun, HistoryStore } from '../../../src/core/history/index';
import { discoverPacks, findPack, type PackRoot } from '../../../src/core/packs/discover';
import { loadPack } from '../../../src/core/packs/load';
import { packRefersTo, resolvePackDir, resolvePacks } from '../../../src/core/packs/resolve';
import { parseConfig } from '../../../src/core/verdict/config';
import { packCard } from '../../../src/host/packCard';
import type { WorkerClient } from '../../../src/host/workerClient';
import { recordInspection } from '../../../src/host/recordInspection';
import { repoRoot } from '../../support/paths';
import { tempDir } from '../history/support';

const appRoots: PackRoot[] = [{ dir: join(repoRoot, 'models'), source: 'app' }];
const packDir = join(repoRoot, 'models', 'defects-grounding');
const IMAGE = join(repoRoot, 'resources/samples/pcb-grounding/92000111_test.jpg');

describe('pack aliases: defects-grounding answers to pcb-defects-grounding', () => {
  it('the shipped manifest names the pack for what it is and keeps the old name as its alias', () => {
    const pack = loadPack(packDir);
    expect(pack.manifest.name).toBe('defects-grounding');
    expect(pack.manifest.aliases).toEqual(['pcb-defects-grounding']);
    const found = discoverPacks(appRoots).find((p) => p.dir === packDir)!;
    expect(found).toMatchObject({ name: 'defects-grounding', aliases: ['pcb-defects-grounding'] });
    // No folder is called by the alias: the alias is what finds it.
    expect(discoverPacks(appRoots).some((p) => p.name === 'pcb-defects-grounding')).toBe(false);
  });

  it('the alias resolves to the same pack folder and identity, also with @version', () => {
    const byName = resolvePackDir('defects-grounding', appRoots);
    expect(resolvePackDir('pcb-defects-grounding', appRoots)).toBe(byName);
    expect(resolvePackDir('pcb-defects-grounding@0.2.0', appRoots)).toBe(byName);
    expect(() => resolvePackDir('pcb-defects-grounding@9.9.9', appRoots)).toThrow(expect.objectContaining({ code: 'PACK_NOT_FOUND' }));
    const a = loadPack(byName);
    const b = loadPack(resolvePackDir('pcb-defects-grounding', appRoots));
    expect(b.manifestSha256).toBe(a.manifestSha256);
    expect(b.manifest.files).toEqual(a.manifest.files);
    expect(packRefersTo(a, 'pcb-defects-grounding')).toBe(true);
    expect(packRefersTo(a, 'pcb-defects-grounding@0.1.0')).toBe(false);
    expect(packRefersTo(a, 'battery-ct-porosity')).toBe(false);
    // Named twice (name and alias), the pack is loaded and run once.
    expect(resolvePacks(['defects-grounding', 'pcb-defects-grounding'], appRoots, []).map((p) => p.manifest.name)).toEqual(['defects-grounding']);
  });

  it("the app's pack card answers to the alias with the pack's true name", async () => {
    // The worker's listPacks is discoverPacks over the model roots; here called in-process.
    const worker = { call: async () => discoverPacks(appRoots) } as unknown as WorkerClient;
    const card = await packCard(worker, 'pcb-defects-grounding');
    expect(card).toMatchObject({ name: 'defects-grounding', version: '0.2.0', kind: 'grounding' });
    expect(card.modelCard).toContain('# Model card: defects-grounding 0.2.0');
    await expect(packCard(worker, 'no-such-pack')).rejects.toMatchObject({ code: 'PACK_NOT_FOUND' });
  });

  it("a pack whose own name is the alias shadows it; an alias equal to the name is refused", () => {
    const t = tempDir('inspector-alias-');
    try {
      const user = join(t.dir, 'user');
      const old = join(user, 'pcb-defects-grounding');
      cpSync(packDir, old, { recursive: true });
      const yaml = readFileSync(join(old, 'pack.yaml'), 'utf8');
      writeFileSync(join(old, 'pack.yaml'), yaml.replace('name: defects-grounding\naliases:\n  - pcb-defects-grounding\n', 'name: pcb-defects-grounding\n'));
      const roots: PackRoot[] = [...appRoots, { dir: user, source: 'user' }];
      expect(resolvePackDir('pcb-defects-grounding', roots)).toBe(old);
      expect(resolvePackDir('defects-grounding', roots)).toBe(packDir);
      expect(findPack(roots, 'pcb-defects-grounding')?.source).toBe('user');
      writeFileSync(join(old, 'pack.yaml'), yaml.replace('  - pcb-defects-grounding\n', '  - defects-grounding\n'));
      expect(() => loadPack(old)).toThrow(expect.objectContaining({ code: 'PACK_MANIFEST_INVALID', message: expect.stringContaining('aliases.0') }));
    } finally {
      t.cleanup();
    }
  });

  describe('records carry the true identity whichever name was used', () => {
    const service = new EngineService(appRoots);
    let t: ReturnType<typeof tempDir>;
    let store: HistoryStore;
    beforeAll(() => {
      t = tempDir('inspector-alias-history-');
      store = HistoryStore.open(t.file);
    });
    afterAll(async () => {
      store.close();
      t.cleanup();
      await service.close();
    });

    it('--pack by alias and by name: same recorded name, version, file hashes and boxes', async () => {
      const byAlias = await service.inspect({ paths: [IMAGE], packs: ['pcb-defects-grounding'] });
      const byName = await service.inspect({ paths: [IMAGE], packs: ['defects-grounding'] });
      const [runA] = recordInspection(store, byAlias, {});
      const [runN] = recordInspection(store, byName, {});
      const a = getRun(store.db, runA!).run;
      const n = getRun(store.db, runN!).run;
      const pack = loadPack(packDir);
      expect(a.packName).toBe('defects-grounding');
      expect(a.packVersion).toBe('0.2.0');
      expect(a.packHashes).toEqual(n.packHashes);
      // The recorded hashes are the pack's files and its pack.yaml: the alias is not an identity of its own.
      expect(a.packHashes['pack.yaml']).toBe(pack.manifestSha256);
      expect(a.packHashes['onnx/model.onnx']).toBe(pack.manifest.files['onnx/model.onnx']);
      expect(a.regions.length).toBeGreaterThan(0);
      expect(a.regions).toEqual(n.regions);
      const names = store.db.prepare('SELECT DISTINCT pack_name FROM inference_runs').pluck().all();
      expect(names).toEqual(['defects-grounding']);
    }, 120_000);
  });

  it('inspector.yaml naming the grounding pack by its old name runs it for findings', async () => {
    const engine = new Engine();
    try {
      const demo = join(repoRoot, 'resources', 'samples', 'line-demo');
      const config = parseConfig(
        [
          'sides:',
          '  internal: { pack: battery-ct-porosity, grounding: { pack: pcb-defects-grounding, prompt: "porosity ." } }',
          'cases: { groupBy: pattern, pattern: "{serial}_{view}.{ext}", sideField: view, sideValues: { ct: internal } }',
        ].join('\n'),
      );
      // The packs as the service resolves them from this config: the alias reaches the renamed pack.
      const packs = resolvePacks([], appRoots, ['battery-ct-porosity', 'pcb-defects-grounding']);
      const r = await inspect(engine, { paths: [join(demo, 'cell-002_ct.png')], packs, config, baseDir: demo });
      expect(r.results.map((x) => [x.pack.name, x.role ?? 'decides'])).toEqual([
        ['battery-ct-porosity', 'decides'],
        ['defects-grounding', 'findings'],
      ]);
      expect(r.results[1]!.grounding!.phrases).toEqual(['porosity']);
    } finally {
      await engine.close();
    }
  }, 120_000);
});
