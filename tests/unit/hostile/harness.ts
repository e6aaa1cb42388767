/**
 * Runs hostile cases in a child process with a deadline per case, so "never hangs" is enforced
 * rather than hoped for: a case that has not answered when its deadline passes has its process
 * SIGKILLed and the test fails naming the case. The deadline is derived from the case's size
 * (`deadlineFor`), not a speed claim: it is generous (seconds for what takes milliseconds), the
 * test only tells an answer from no answer. The child is started (and waited for, outside any
 * deadline) before a case runs, so process start-up under a loaded CI box is not charged to it.
 *
 * With `asUser` the child runs under that uid/gid (only when this process is root): permission
 * bits mean nothing to root, so "an unreadable entry" needs an ordinary user to be unreadable.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot, testOutput } from '../../support/paths';

export type Outcome = { ok: unknown } | { code: string; message: string } | { uncoded: string; message: string };

/** Base allowance for any case plus a per-unit share (units: entries walked, MB of pack files, …). */
export const BASE_MS = 10_000;
export function deadlineFor(units: number, perUnitMs: number): number {
  return BASE_MS + Math.ceil(units * perUnitMs);
}

let bundled: Promise<string> | undefined;
function bundle(): Promise<string> {
  bundled ??= (async () => {
    const dir = join(testOutput, 'hostile');
    mkdirSync(dir, { recursive: true });
    const outfile = join(dir, `child-${process.pid}.mjs`);
    await build({
      absWorkingDir: repoRoot,
      entryPoints: [join(repoRoot, 'tests', 'unit', 'hostile', 'child.ts')],
      outfile,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node24',
      packages: 'external',
      logLevel: 'warning',
    });
    return outfile;
  })();
  return bundled;
}

export class CaseRunner {
  private child: ChildProcess | undefined;
  private next = 1;
  constructor(private readonly asUser?: number) {}

  private async start(): Promise<ChildProcess> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return this.child;
    const file = await bundle();
    const asRoot = process.getuid?.() === 0;
    const child = fork(file, [], {
      cwd: repoRoot,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      ...(this.asUser !== undefined && asRoot ? { uid: this.asUser, gid: this.asUser } : {}),
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    await new Promise<void>((ok, fail) => {
      const onMsg = (m: { ready?: boolean }) => {
        if (m.ready) {
          child.off('exit', onExit);
          ok();
        }
      };
      const onExit = (code: number | null) => fail(new Error(`the case process exited (${code}) before it was ready: ${stderr}`));
      child.once('message', onMsg);
      child.once('exit', onExit);
    });
    this.child = child;
    return child;
  }

  /** Runs `op` and resolves with its outcome; rejects if it does not answer within `deadlineMs`. */
  async run(op: string, args: Record<string, unknown>, deadlineMs: number): Promise<Outcome> {
    const child = await this.start();
    const id = this.next++;
    return new Promise<Outcome>((ok, fail) => {
      const timer = setTimeout(() => {
        cleanup();
        this.child = undefined;
        child.kill('SIGKILL');
        fail(new Error(`HANG: ${op} ${JSON.stringify(args).slice(0, 200)} gave no result or coded error within ${deadlineMs} ms; its process was killed`));
      }, deadlineMs);
      const onMsg = (m: { id?: number } & Record<string, unknown>) => {
        if (m.id !== id) return;
        cleanup();
        const { id: _id, ...rest } = m;
        ok(rest as Outcome);
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        this.child = undefined;
        fail(new Error(`CRASH: ${op} ended its process (exit ${code}, signal ${signal}) instead of answering`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMsg);
        child.off('exit', onExit);
      };
      child.on('message', onMsg);
      child.once('exit', onExit);
      child.send({ id, op, args });
    });
  }

  close(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }
}
