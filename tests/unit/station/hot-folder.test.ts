/** The hot folder hands a file on only after its size and mtime held still for settle_ms. */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HotFolder, type ReadyFile, type RejectedFile } from '../../../src/core/station/hotFolder';

function folder() {
  const dir = mkdtempSync(join(os.tmpdir(), 'station-hot-'));
  const ready: ReadyFile[] = [];
  const rejected: RejectedFile[] = [];
  const hf = new HotFolder({ dir, pattern: '{serial}_{view}.{ext}', views: ['ct', 'surface'], settle_ms: 500, case_timeout_ms: 1000, after: 'keep' }, (f) => ready.push(f), (f) => rejected.push(f));
  return { dir, hf, ready, rejected };
}

describe('hot folder', () => {
  it('waits until a growing file has been still for settle_ms', () => {
    const { dir, hf, ready } = folder();
    const p = join(dir, 'A1_ct.png');
    writeFileSync(p, 'part one');
    hf.scan(1000);
    hf.scan(1400);
    expect(ready).toHaveLength(0);
    appendFileSync(p, ' and part two'); // still being written: the clock restarts
    hf.scan(1600);
    hf.scan(2000);
    expect(ready).toHaveLength(0);
    hf.scan(2100);
    expect(ready).toHaveLength(1);
    expect(ready[0]).toMatchObject({ serial: 'A1', view: 'ct', size: 'part one and part two'.length });
    hf.scan(5000);
    expect(ready).toHaveLength(1); // handed on once
  });

  it('rejects names outside the pattern or views with a code, and skips temp files', () => {
    const { dir, hf, ready, rejected } = folder();
    writeFileSync(join(dir, 'notes.txt'), 'x');
    writeFileSync(join(dir, 'A1_side.png'), 'x');
    writeFileSync(join(dir, 'A2_ct.png.part'), 'x');
    writeFileSync(join(dir, '.A3_ct.png'), 'x');
    hf.scan(0);
    hf.scan(600);
    expect(ready).toHaveLength(0);
    expect(rejected.map((r) => r.code).sort()).toEqual(['STATION_FILE_UNMATCHED', 'STATION_VIEW_UNKNOWN']);
  });

  it('pauses (queue full) without losing files', () => {
    const { dir, hf, ready } = folder();
    writeFileSync(join(dir, 'B1_ct.png'), 'x');
    hf.pause(true);
    hf.scan(0);
    hf.scan(600);
    expect(ready).toHaveLength(0);
    hf.pause(false);
    hf.scan(700);
    expect(ready.map((r) => r.name)).toEqual(['B1_ct.png']);
  });

  it('reports a FIFO, a dangling link, a link loop and a link out of the folder once each, and still takes the good file', () => {
    const { dir, hf, ready, rejected } = folder();
    const outside = mkdtempSync(join(os.tmpdir(), 'station-outside-'));
    writeFileSync(join(outside, 'X9_ct.png'), 'secret');
    execFileSync('mkfifo', [join(dir, 'F1_ct.png')]);
    symlinkSync(join(dir, 'nowhere.png'), join(dir, 'D1_ct.png'));
    symlinkSync(join(dir, 'L1_ct.png'), join(dir, 'L1_ct.png'));
    symlinkSync(join(outside, 'X9_ct.png'), join(dir, 'X9_ct.png'));
    writeFileSync(join(dir, 'G1_ct.png'), 'good');
    hf.scan(0);
    hf.scan(600);
    hf.scan(1200); // polled again: nothing reported twice
    expect(ready.map((r) => r.name)).toEqual(['G1_ct.png']);
    const codes = Object.fromEntries(rejected.map((r) => [r.path.slice(dir.length + 1), r.code]));
    expect(codes).toEqual({
      'D1_ct.png': 'WALK_LINK_DANGLING',
      'F1_ct.png': 'WALK_NOT_REGULAR',
      'L1_ct.png': 'WALK_LINK_LOOP',
      'X9_ct.png': 'WALK_OUTSIDE_ROOT',
    });
    expect(rejected).toHaveLength(4);
  });
});
