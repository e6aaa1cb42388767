/**
 * The worker's method table. Each method is plain core code; the worker process exists so that
 * blocking work (onnxruntime's run(), large decodes) never stalls the UI or the IPC loop.
 */
import { join } from 'node:path';
import { runDoctor } from '../core/system/doctor';
import { discoverPacks } from '../core/packs/discover';
import type { WorkerConfig } from './protocol';

export type WorkerMethods = ReturnType<typeof createMethods>;

export function createMethods(config: WorkerConfig) {
  return {
    ping: async () => ({ pid: process.pid, node: process.versions.node }),
    doctor: async () =>
      runDoctor({
        inspectorVersion: config.inspectorVersion,
        probeModelPath: join(config.resourcesDir, 'probe', 'probe.onnx'),
        packRoots: config.modelDirs,
      }),
    listPacks: async () => discoverPacks(config.modelDirs),
  };
}
