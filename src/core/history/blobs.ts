/**
 * Content-addressed store for large arrays (heatmaps, anomaly maps): gzip files named by the
 * SHA-256 of their uncompressed bytes, under `<data>/blobs/ab/<hash>.gz`. SQLite keeps only the
 * hash and shape, so the database stays small enough to back up online and query fast, and the
 * same map stored twice takes the space once. Files are written (and renamed into place) before
 * the row that names them commits, so a committed reference never points at a missing file.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { InspectorError } from '../../shared/errors';
import { sha256Hex } from './hash';

export interface StoredBlob {
  hash: string;
  bytes: number;
  storedBytes: number;
}

function asBytes(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export class BlobStore {
  constructor(readonly dir: string) {}

  pathOf(hash: string): string {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new InspectorError('BLOB_BAD_HASH', `Not a blob hash: ${hash.slice(0, 80)}`);
    return join(this.dir, hash.slice(0, 2), `${hash}.gz`);
  }

  put(data: ArrayBufferView): StoredBlob {
    const bytes = asBytes(data);
    const hash = sha256Hex(bytes);
    const file = this.pathOf(hash);
    if (existsSync(file)) return { hash, bytes: bytes.byteLength, storedBytes: readFileSync(file).byteLength };
    const packed = gzipSync(bytes, { level: 6 });
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, packed);
    renameSync(tmp, file);
    return { hash, bytes: bytes.byteLength, storedBytes: packed.byteLength };
  }

  /** The original bytes; throws if the file is gone or no longer matches its name. */
  get(hash: string): Buffer {
    const file = this.pathOf(hash);
    if (!existsSync(file)) throw new InspectorError('BLOB_MISSING', `Blob ${hash.slice(0, 12)}… is not in ${this.dir}.`, { hash });
    let data: Buffer;
    try {
      data = gunzipSync(readFileSync(file));
    } catch (e) {
      throw new InspectorError('BLOB_CORRUPT', `Blob ${hash.slice(0, 12)}… cannot be decompressed.`, { hash, cause: String(e) });
    }
    if (sha256Hex(data) !== hash) throw new InspectorError('BLOB_CORRUPT', `Blob ${hash.slice(0, 12)}… does not match its hash.`, { hash });
    return data;
  }
}
