/**
 * The worker's stderr path both launchers share (host/workerLog.ts; the CLI's Node child process and
 * the app's Electron utilityProcess): a real child process's stderr lands in `<data>/logs/worker.log`
 * without colour codes, the crash-report tail keeps the last of it, the log rotates once past its
 * size, and a data folder where the log cannot be written costs the log, never the inspection.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerStderr, workerLogPath } from '../../../src/host/workerLog';

const dir = mkdtempSync(join(os.tmpdir(), 'inspector-worker-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function childStderr(script: string, sink: WorkerStderr): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (c: Buffer) => sink.write(c));
    child.on('error', reject);
    child.on('exit', () => resolve());
  });
}

describe('worker stderr → worker.log (shared by the CLI and the app)', () => {
  it('a real process’s stderr is logged without ANSI colour, and its tail kept for crash reports', async () => {
    const data = join(dir, 'data');
    const log = workerLogPath(data);
    expect(log).toBe(join(data, 'logs', 'worker.log'));
    const s = new WorkerStderr(log);
    await childStderr(`process.stderr.write('\\x1b[1;31m[E:onnxruntime] Failed to load library libonnxruntime_providers_shared.so\\x1b[m\\n'); process.stderr.write('second line\\n')`, s);
    expect(readFileSync(log, 'utf8')).toBe('[E:onnxruntime] Failed to load library libonnxruntime_providers_shared.so\nsecond line\n');
    expect(s.recent()).toContain('second line');
    expect(s.logging).toBe(true);
    // A second worker (a restart after a crash) appends to the same file.
    await childStderr(`process.stderr.write('restarted\\n')`, new WorkerStderr(log));
    expect(readFileSync(log, 'utf8').endsWith('second line\nrestarted\n')).toBe(true);
  });

  it('rotates once past its size, keeping one previous generation', () => {
    const log = workerLogPath(join(dir, 'rot'));
    new WorkerStderr(log).write('x'.repeat(2048));
    new WorkerStderr(log, 1024).write('fresh\n');
    expect(readFileSync(`${log}.1`, 'utf8')).toHaveLength(2048);
    expect(readFileSync(log, 'utf8')).toBe('fresh\n');
  });

  it('an unwritable data folder gives up the log without throwing; the tail still works', () => {
    const blocked = join(dir, 'blocked');
    writeFileSync(blocked, 'a file where the data folder should be');
    const s = new WorkerStderr(workerLogPath(blocked));
    expect(s.logging).toBe(false);
    expect(() => s.write('onnxruntime noise\n')).not.toThrow();
    expect(s.recent()).toBe('onnxruntime noise\n');
    expect(existsSync(join(blocked, 'logs'))).toBe(false);
  });

  it('both launchers take the log through this class, not copies of it', () => {
    const root = join(import.meta.dirname, '..', '..', '..', 'src');
    for (const f of ['host/nodeWorker.ts', 'main/workerProcess.ts']) {
      const src = readFileSync(join(root, f), 'utf8');
      expect(src, f).toContain('new WorkerStderr(logFile)');
      expect(src, f).not.toContain('appendFileSync');
    }
    expect(readFileSync(join(root, 'main', 'index.ts'), 'utf8')).toContain('utilityWorkerLauncher(mainDir, workerLogPath(paths.userDataDir))');
  });
});
