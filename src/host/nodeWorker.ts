/**
 * Starts the worker as a Node child process: the CLI's and the tests' counterpart of Electron's
 * utilityProcess. From source (tsx/vitest) it runs the TypeScript entry through tsx's loader.
 * onnxruntime and Dawn write diagnostics to stderr; they are kept (last lines) for crash reports and
 * shown only with INSPECTOR_DEBUG=1, so CLI output stays readable.
 *
 * Signals: a terminal's Ctrl-C (SIGINT) and a service manager's SIGTERM go to the whole foreground
 * process group. The worker must not die of them mid-case (the host decides when to stop: after
 * the case in flight), so on POSIX it runs in a process group of its own (`detached`) and is ended
 * only by its parent (`kill()`, or the IPC channel closing when the parent dies). Where there are no
 * process groups (Windows) the worker ignores SIGINT itself (src/worker/index.ts).
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WorkerStderr } from './workerLog';
import type { WorkerLauncher } from './workerClient';

/**
 * `logFile`: where the worker's diagnostics go (onnxruntime's red "Failed to load library" for a
 * provider that is not installed, for one): kept for support, never printed at the user. The
 * user-facing account of providers is `inspector doctor` and the warning a fallback prints.
 */
export function nodeWorkerLauncher(appRoot: string, logFile?: string): WorkerLauncher {
  return () => {
    // The CLI's own build (bin/inspector.js checked it is current and says where it is), else the
    // app's build when asked for (E2E), else the sources under tsx.
    const cliBuild = process.env['INSPECTOR_CLI_BUILD'];
    const built = cliBuild && existsSync(join(cliBuild, 'worker.js')) ? join(cliBuild, 'worker.js') : join(appRoot, 'out', 'main', 'worker.js');
    const source = join(appRoot, 'src', 'worker', 'index.ts');
    const fromSource = (!cliBuild && process.env['INSPECTOR_WORKER_FROM_BUILD'] !== '1') || !existsSync(built);
    const debug = process.env['INSPECTOR_DEBUG'] === '1';
    if (debug) process.stderr.write(`inspector: worker ${fromSource ? `${source} (tsx)` : built}\n`);
    const child = fork(fromSource ? source : built, [], {
      execArgv: fromSource ? ['--import', 'tsx'] : [],
      cwd: appRoot,
      stdio: ['ignore', 'inherit', debug ? 'inherit' : 'pipe', 'ipc'],
      serialization: 'advanced',
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    const stderr = new WorkerStderr(logFile);
    child.stderr?.on('data', (chunk: Buffer) => stderr.write(chunk));
    return {
      postMessage: (m) => child.send(m as object),
      onMessage: (l) => child.on('message', l),
      onExit: (l) => child.on('exit', (code) => l(code)),
      kill: () => child.kill(),
      recentStderr: () => stderr.recent(),
    };
  };
}
