/**
 * `images.open` through host and the real worker on a 2048² 16-bit PNG: the frame a case opens
 * on comes with a preview whose bytes are every 2nd stored value of every 2nd row of the
 * published frame (same dtype), and the full frame is unchanged; small frames get none.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost } from '../../../src/host/createHost';
import { nodeWorkerLauncher } from '../../../src/host/nodeWorker';
import { appPaths } from '../../../src/host/paths';

const N = 2048;

describe('images.open publishes a preview for a large frame', () => {
  const paths = appPaths();
  const host = createHost(paths, nodeWorkerLauncher(paths.appRoot), 'media:');
  const dir = mkdtempSync(join(os.tmpdir(), 'inspector-preview-'));
  const px = new Uint16Array(N * N);
  for (let y = 0; y < N; y++) for (let x = 0; x < N; x++) px[y * N + x] = (x * 31 + y * 17) % 65536;
  beforeAll(async () => {
    // sharp infers a 16-bit raw input from a Uint16Array.
    await sharp(px, { raw: { width: N, height: N, channels: 1 } }).toColourspace('grey16').png({ compressionLevel: 1 }).toFile(join(dir, 'large.png'));
    await sharp(px.subarray(0, 300 * 300), { raw: { width: 300, height: 300, channels: 1 } }).toColourspace('grey16').png().toFile(join(dir, 'small.png'));
    host.grants.grant(dir);
  });
  afterAll(() => {
    host.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('large: preview = stored values decimated by 2; small: none', async () => {
    const opened = await host.handlers['images.open']({ path: join(dir, 'large.png') });
    const f = opened.frames[0]!;
    expect(f).toMatchObject({ width: N, height: N, dtype: 'uint16', preview: { step: 2, width: 1024, height: 1024 } });
    const full = host.media.get(f.mediaId)!.bytes;
    // Byte comparison: toEqual over 4M elements would take seconds.
    expect(Buffer.from(full.buffer, full.byteOffset, full.byteLength).equals(Buffer.from(px.buffer))).toBe(true);
    const pv = host.media.get(f.preview!.mediaId)!.bytes;
    const pvPx = new Uint16Array(pv.buffer.slice(pv.byteOffset, pv.byteOffset + pv.byteLength));
    expect(pvPx.length).toBe(1024 * 1024);
    let differing = 0;
    for (let y = 0; y < 1024; y++) for (let x = 0; x < 1024; x++) if (pvPx[y * 1024 + x] !== px[2 * y * N + 2 * x]) differing++;
    expect(differing).toBe(0);
    const small = await host.handlers['images.open']({ path: join(dir, 'small.png') });
    expect(small.frames[0]!.preview).toBeUndefined();
  });
});
