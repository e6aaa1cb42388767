/**
 * The CLI's host: the same worker protocol and process as the app, the worker as a child process.
 * Only the worker — commands open the history themselves — so a CLI call loads no IPC handlers,
 * report writers or image codecs it does not use (start-up time, see scripts/bench/cli.ts).
 */
import { join } from 'node:path';
import { nodeWorkerLauncher } from '../host/nodeWorker';
import { appPaths } from '../host/paths';
import { WorkerClient } from '../host/workerClient';
import { workerConfig } from '../host/workerConfig';

export interface CliHost {
  worker: WorkerClient;
}

export async function withHost<T>(fn: (host: CliHost) => Promise<T>): Promise<T> {
  const paths = appPaths();
  const worker = new WorkerClient(nodeWorkerLauncher(paths.appRoot, join(paths.userDataDir, 'logs', 'worker.log')), workerConfig(paths));
  try {
    return await fn({ worker });
  } finally {
    worker.stop();
  }
}
