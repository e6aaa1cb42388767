/**
 * Starts the worker as a Node child process: the CLI's and the tests' counterpart of Electron's
 * utilityProcess. From source (tsx/vitest) it runs the TypeScript entry through tsx's loader.
 * onnxruntime and Dawn write diagnostics to stderr; they are kept (last lines) for crash reports and
 * shown only with INSPECTOR_DEBUG=1, so CLI output stays readable.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkerLauncher } from './workerClient';

export function nodeWorkerLauncher(appRoot: string): WorkerLauncher {
  return () => {
    const built = join(appRoot, 'out', 'main', 'worker.js');
    const source = join(appRoot, 'src', 'worker', 'index.ts');
    const fromSource = process.env['INSPECTOR_WORKER_FROM_BUILD'] !== '1' || !existsSync(built);
    const debug = process.env['INSPECTOR_DEBUG'] === '1';
    const child = fork(fromSource ? source : built, [], {
      execArgv: fromSource ? ['--import', 'tsx'] : [],
      cwd: appRoot,
      stdio: ['ignore', 'inherit', debug ? 'inherit' : 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    const stderrTail: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => {
      stderrTail.push(chunk.toString());
      if (stderrTail.length > 50) stderrTail.shift();
    });
    return {
      postMessage: (m) => child.send(m as object),
      onMessage: (l) => child.on('message', l),
      onExit: (l) => child.on('exit', (code) => l(code)),
      kill: () => child.kill(),
      recentStderr: () => stderrTail.join('').slice(-4000),
    };
  };
}
