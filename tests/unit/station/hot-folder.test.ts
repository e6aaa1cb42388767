/** The hot folder hands a file on only after its size and mtime held still for settle_ms. */
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
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
});
