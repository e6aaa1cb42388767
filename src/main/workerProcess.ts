/** Starts the decode/inference worker as an Electron utilityProcess (out/main/worker.js). */
import { utilityProcess } from 'electron';
import { join } from 'node:path';
import type { WorkerLauncher } from '../host/workerClient';

export function utilityWorkerLauncher(mainDir: string): WorkerLauncher {
  return () => {
    const child = utilityProcess.fork(join(mainDir, 'worker.js'), [], { serviceName: 'Inspector inference', stdio: 'pipe' });
    const stderrTail: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => {
      stderrTail.push(chunk.toString());
      if (stderrTail.length > 50) stderrTail.shift();
    });
    return {
      postMessage: (m) => child.postMessage(m),
      onMessage: (l) => child.on('message', l),
      onExit: (l) => child.on('exit', (code) => l(code)),
      kill: () => child.kill(),
      recentStderr: () => stderrTail.join('').slice(-4000),
    };
  };
}
