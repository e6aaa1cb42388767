/** The CLI's host: same handlers and worker protocol as the app, the worker as a child process. */
import { createHost, type Host } from '../host/createHost';
import { nodeWorkerLauncher } from '../host/nodeWorker';
import { join } from 'node:path';
import { appPaths } from '../host/paths';

export async function withHost<T>(fn: (host: Host) => Promise<T>): Promise<T> {
  const paths = appPaths();
  const host = createHost(paths, nodeWorkerLauncher(paths.appRoot, join(paths.userDataDir, 'logs', 'worker.log')), 'media:');
  try {
    return await fn(host);
  } finally {
    host.close();
  }
}
