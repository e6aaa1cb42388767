/**
 * The worker's method table. Each method is plain core code; the worker process exists so that
 * blocking work (onnxruntime's run(), large decodes) never stalls the UI or the IPC loop.
 */
import { join } from 'node:path';
import { runDoctor } from '../core/system/doctor';
import { discoverPacks } from '../core/packs/discover';
import { loadPack } from '../core/packs/load';
import { probeFile } from '../core/imaging/probe';
import { openFolder, openImage } from '../core/imaging/open';
import { EngineService, type InspectParams } from '../core/engine/service';
import type { WorkerConfig } from './protocol';
import { explainLayers } from '../core/explain/override';
import { thumbnailOf } from '../core/reports/thumbnail';

export type WorkerMethods = ReturnType<typeof createMethods>;

export function createMethods(config: WorkerConfig) {
  // One engine per worker: ONNX sessions are created on first use and reused across requests.
  const engine = new EngineService(config.modelDirs, (line) => process.stderr.write(`inspector engine: ${line}\n`));
  return {
    ping: async () => ({ pid: process.pid, node: process.versions.node }),
    doctor: async () =>
      runDoctor({
        inspectorVersion: config.inspectorVersion,
        probeModelPath: join(config.resourcesDir, 'probe', 'probe.onnx'),
        packRoots: config.modelDirs,
      }),
    listPacks: async () => discoverPacks(config.modelDirs),
    /** Decode a file and report per frame (or its coded error); never throws for a bad image. */
    probeImage: async (p: { path: string }) => probeFile(p.path),
    /** Decode a file for the viewer: metadata + raw pixel bytes per frame (transferred, not JSON). */
    openImage: async (p: { path: string }) => openImage(p.path),
    /** Decode every image in a folder, grouped into series in anatomical order. */
    openSeries: async (p: { dir: string; roots?: string[] }) => openFolder(p.dir, p.roots),
    /** Inspect files/folders with model packs: per-image results (maps as Float32Array) and per-case verdicts. */
    inspect: async (p: InspectParams) => engine.inspect(p),
    /** The pack's validation score distribution (drift baseline), when its manifest has one. */
    packReference: async (p: { dir: string }) => loadPack(p.dir).manifest.reference?.scores ?? null,
    /** A classifier pack's explanation choice and every layer a map can be made of (the viewer's selector). */
    explainLayers: async (p: { dir: string }) => explainLayers(loadPack(p.dir)),
    /** A small PNG of a recorded image's first frame (the Line room's feed), or why there is none; the hash is re-checked. */
    thumbnail: async (p: { path: string; sha256?: string; regions?: { box: number[] }[] }) => thumbnailOf(p.path, (p.regions ?? []).map((r) => ({ box: r.box })), p.sha256),
  };
}
