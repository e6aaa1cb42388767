/**
 * An export's file: written under a temporary name beside the target and renamed into place only
 * when complete, so a killed export never leaves half a file under the name the user chose. The
 * SHA-256 is taken over exactly the bytes written, for the audit entry.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InspectorError } from '../../shared/errors';

export class ExportFile {
  readonly target: string;
  readonly temp: string;
  private fd: number | null;
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;

  constructor(target: string) {
    this.target = resolve(target);
    // Same folder as the target: a rename across file systems would not be atomic.
    this.temp = join(dirname(this.target), `.${basename(this.target)}.${process.pid}.${Date.now()}.partial`);
    try {
      this.fd = openSync(this.temp, 'wx');
    } catch (e) {
      throw new InspectorError('EXPORT_WRITE_FAILED', `Cannot write ${this.target}: ${(e as Error).message}`, { file: this.target });
    }
  }

  write(chunk: string | Uint8Array): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (this.fd === null) throw new InspectorError('EXPORT_WRITE_FAILED', 'The export file is already closed.');
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    this.hash.update(buf);
    this.bytes += buf.length;
  }

  /** Flushes and closes the temporary file; returns the SHA-256 of everything written. */
  finish(): string {
    if (this.fd !== null) {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = null;
    }
    return this.hash.digest('hex');
  }

  /** Gives the finished file its final name (replacing an older file of that name). */
  publish(): void {
    renameSync(this.temp, this.target);
  }

  abort(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.temp, { force: true });
  }
}
