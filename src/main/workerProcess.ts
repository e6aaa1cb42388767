/**
 * Starts the decode/inference worker as an Electron utilityProcess (out/main/worker.js). Its stderr
 * is kept exactly as the CLI keeps its worker's (host/workerLog.ts): last lines for crash reports,
 * everything in `<data>/logs/worker.log`.
 */
import { utilityProcess } from 'electron';
import { join } from 'node:path';
import type { WorkerLauncher } from '../host/workerClient';
import { WorkerStderr } from '../host/workerLog';

export function utilityWorkerLauncher(mainDir: string, logFile?: string): WorkerLauncher {
  return () => {
    const child = utilityProcess.fork(join(mainDir, 'worker.js'), [], { serviceName: 'Inspector inference', stdio: 'pipe' });
    const stderr = new WorkerStderr(logFile);
    child.stderr?.on('data', (chunk: Buffer) => stderr.write(chunk));
    return {
      postMessage: (m) => child.postMessage(m),
      onMessage: (l) => child.on('message', l),
      onExit: (l) => child.on('exit', (code) => l(code)),
      kill: () => child.kill(),
      recentStderr: () => stderr.recent(),
    };
  };
}
