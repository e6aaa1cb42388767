import { afterEach, describe, expect, it } from 'vitest';
import { nodeWorkerLauncher } from '../../../src/host/nodeWorker';
import { appPaths } from '../../../src/host/paths';
import { WorkerClient, type WorkerPort } from '../../../src/host/workerClient';
import { InspectorError } from '../../../src/shared/errors';
import { repoRoot } from '../../support/paths';

const paths = appPaths(repoRoot, '/tmp/inspector-unit-worker');
const config = {
  appRoot: repoRoot,
  resourcesDir: paths.resourcesDir,
  modelDirs: [{ dir: paths.appModelsDir, source: 'app' as const }],
  inspectorVersion: 'test',
};

describe('worker process (real child process, real onnxruntime)', () => {
  const clients: WorkerClient[] = [];
  afterEach(() => clients.splice(0).forEach((c) => c.stop()));

  it('runs doctor in the worker: CPU works, CUDA fails with the loader reason, DirectML is not in this build', async () => {
    const client = new WorkerClient(nodeWorkerLauncher(repoRoot), config);
    clients.push(client);
    const report = await client.call('doctor');
    const byName = Object.fromEntries(report.executionProviders.map((p) => [p.name, p]));
    expect(byName['cpu']).toMatchObject({ available: true, inBuild: true });
    expect(byName['cuda']).toMatchObject({ available: false, inBuild: true });
    expect(byName['cuda']!.reason).toMatch(/shared library/i);
    expect(byName['dml']).toMatchObject({ available: false, inBuild: false });
    expect(report.versions.node.split('.')[0]).toBe('24');
    expect(report.versions.sqlite).toMatch(/^3\.\d+\.\d+$/);
    expect(report.versions.onnxruntime).toBe('1.30.0');
  });

  it('fails only the calls in flight when the worker dies, then starts a fresh one', async () => {
    const ports: WorkerPort[] = [];
    const launcher = nodeWorkerLauncher(repoRoot);
    const client = new WorkerClient(() => {
      const p = launcher();
      ports.push(p);
      return p;
    }, config);
    clients.push(client);
    const first = await client.call('ping');
    const inFlight = client.call('doctor');
    ports[0]!.kill();
    const err = await inFlight.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InspectorError);
    expect((err as InspectorError).code).toBe('WORKER_CRASHED');
    const second = await client.call('ping');
    expect(second.pid).not.toBe(first.pid);
    expect(ports).toHaveLength(2);
  });

  it('answers an unknown method with a coded error instead of hanging', async () => {
    const client = new WorkerClient(nodeWorkerLauncher(repoRoot), config);
    clients.push(client);
    // Bypass the typed surface on purpose: a renderer bug or a version skew could send this.
    const call = client.call.bind(client) as unknown as (m: string) => Promise<unknown>;
    await expect(call('formatDisk')).rejects.toMatchObject({ code: 'WORKER_UNKNOWN_METHOD' });
  });
});
