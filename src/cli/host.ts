/**
 * The CLI's host: the same worker protocol and process as the app, the worker as a child process.
 * Only the worker — commands open the history themselves — so a CLI call loads no IPC handlers,
 * report writers or image codecs it does not use (start-up time, see scripts/bench/cli.ts).
 */
import { nodeWorkerLauncher } from '../host/nodeWorker';
import { appPaths } from '../host/paths';
import { WorkerClient } from '../host/workerClient';
import { workerConfig } from '../host/workerConfig';
import { workerLogPath } from '../host/workerLog';

export interface CliHost {
  worker: WorkerClient;
}

export async function withHost<T>(fn: (host: CliHost) => Promise<T>): Promise<T> {
  const paths = appPaths();
  const worker = new WorkerClient(nodeWorkerLauncher(paths.appRoot, workerLogPath(paths.userDataDir)), workerConfig(paths));
  try {
    return await fn({ worker });
  } finally {
    worker.stop();
  }
}
