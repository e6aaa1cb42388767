/**
 * The worker's stderr, as both launchers (the CLI's Node child process and the app's Electron
 * utilityProcess) keep it: the last lines in memory for crash reports (`WORKER_CRASHED` carries
 * them), and everything in `<data>/logs/worker.log` for support — onnxruntime's red "Failed to load
 * library" for a provider that is not installed goes there, never at the user. One previous
 * generation is kept (`worker.log.1`, rotated at 4 MiB). A log that cannot be written (read-only
 * data folder) is given up silently: inspection must not fail because diagnostics cannot be kept.
 */
import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const WORKER_LOG_ROTATE_BYTES = 4 * 1024 * 1024;

/** Where the worker's stderr goes for a data folder: the same file for the CLI and the app. */
export const workerLogPath = (userDataDir: string): string => join(userDataDir, 'logs', 'worker.log');

export class WorkerStderr {
  private readonly tail: string[] = [];
  private logOk: boolean;

  constructor(
    private readonly logFile?: string,
    private readonly rotateBytes = WORKER_LOG_ROTATE_BYTES,
  ) {
    this.logOk = !!logFile;
    if (!logFile) return;
    try {
      mkdirSync(dirname(logFile), { recursive: true });
      if ((statSync(logFile, { throwIfNoEntry: false })?.size ?? 0) > rotateBytes) renameSync(logFile, `${logFile}.1`);
    } catch {
      this.logOk = false;
    }
  }

  /** One chunk of the worker's stderr (the `data` event of either process kind). */
  write(chunk: Buffer | string): void {
    const text = chunk.toString();
    this.tail.push(text);
    if (this.tail.length > 50) this.tail.shift();
    if (!this.logOk) return;
    try {
      // eslint-disable-next-line no-control-regex
      appendFileSync(this.logFile!, text.replace(/\x1b\[[0-9;]*m/g, ''));
    } catch {
      this.logOk = false;
    }
  }

  /** The last few KB, for the crash report of a worker that died. */
  recent(): string {
    return this.tail.join('').slice(-4000);
  }

  /** Whether lines still reach the log file. */
  get logging(): boolean {
    return this.logOk;
  }
}
