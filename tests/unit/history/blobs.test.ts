import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { HistoryStore } from '../../../src/core/history/index';
import { tempDir } from './support';

describe('content-addressed blob store', () => {
  let t: ReturnType<typeof tempDir>;
  afterEach(() => t?.cleanup());

  it('stores a heatmap compressed, once, and returns the same bytes', () => {
    t = tempDir();
    const s = HistoryStore.open(t.file);
    // A smooth 256² float map, like a Grad-CAM upsampled to the image.
    const map = new Float32Array(256 * 256).map((_, k) => Math.exp(-(((k % 256) - 128) ** 2 + (Math.floor(k / 256) - 90) ** 2) / 2000));
    const a = s.putBlob('heatmap', map, { dtype: 'float32', shape: [256, 256] });
    const b = s.putBlob('heatmap', map, { dtype: 'float32', shape: [256, 256] });
    expect(b).toEqual(a);
    expect(a.bytes).toBe(256 * 256 * 4);
    expect(a.storedBytes).toBeLessThan(a.bytes);
    const back = s.blobs.get(a.hash);
    expect(new Float32Array(back.buffer, back.byteOffset, back.byteLength / 4)).toEqual(map);
    expect(s.db.prepare('SELECT kind, dtype, shape, bytes FROM blobs').all()).toEqual([{ kind: 'heatmap', dtype: 'float32', shape: '[256,256]', bytes: 262144 }]);
    expect(readdirSync(join(t.dir, 'blobs', a.hash.slice(0, 2)))).toEqual([`${a.hash}.gz`]);
    s.close();
  });

  it('names a missing, corrupt or substituted blob', () => {
    t = tempDir();
    const s = HistoryStore.open(t.file);
    const { hash } = s.putBlob('map', new Uint8Array([1, 2, 3, 4]));
    expect(() => s.blobs.get('a'.repeat(64))).toThrow(expect.objectContaining({ code: 'BLOB_MISSING' }));
    expect(() => s.blobs.get('../etc/passwd')).toThrow(expect.objectContaining({ code: 'BLOB_BAD_HASH' }));
    writeFileSync(s.blobs.pathOf(hash), gzipSync(new Uint8Array([9, 9, 9])));
    expect(() => s.blobs.get(hash)).toThrow(expect.objectContaining({ code: 'BLOB_CORRUPT' }));
    writeFileSync(s.blobs.pathOf(hash), 'garbage');
    expect(() => s.blobs.get(hash)).toThrow(expect.objectContaining({ code: 'BLOB_CORRUPT' }));
    s.close();
  });
});
