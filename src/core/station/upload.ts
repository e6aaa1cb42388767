/**
 * Images uploaded to POST /inspections (multipart/form-data, or one image as the raw body) are
 * written into the station's own spool inside its data folder — `<data>/spool/<station>/<id>/` —
 * never to a path the client names: the client only gives a serial, a lot and view names, which
 * must be plain tokens, and the file names are made from the watch pattern. Each file is hashed
 * while it streams in and is size-limited; a refused upload leaves nothing in the spool.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InspectorError } from '../../shared/errors';
import type { WatchConfig } from './config';
import type { CaseFile } from './result';

/** Serial, lot and view names become parts of file names: plain tokens only (no separators, no leading dot). */
const TOKEN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const EXT_OF_TYPE: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/tiff': 'tif',
  'image/bmp': 'bmp',
  'image/webp': 'webp',
  'application/dicom': 'dcm',
};
/** Raw bodies the station accepts (the content type names the format; octet-stream needs ?ext=). */
export const RAW_TYPES = [...Object.keys(EXT_OF_TYPE), 'application/octet-stream'];

export interface UploadPart {
  view: string;
  /** The client's file name: only its extension is used. */
  filename?: string;
  mimetype?: string;
  stream: Readable;
  /** multipart: set when the part hit the size limit. */
  truncated?: () => boolean;
}

export interface SpooledCase {
  serial: string;
  lot: string | null;
  files: CaseFile[];
  /** The case's own spool folder (a watch with this dir and the configured `after`). */
  dir: string;
  /** sha256 over serial, lot and each view's content: the Idempotency-Key's request identity. */
  requestHash: string;
  discard(): void;
}

export function token(what: string, v: unknown): string {
  if (typeof v !== 'string' || !TOKEN.test(v)) throw new InspectorError('STATION_UPLOAD_INVALID', `${what} must be 1–128 letters, digits, "." "_" or "-" (not starting with "." ); got ${JSON.stringify(v)}.`);
  return v;
}

function extOf(part: UploadPart, given?: string): string {
  const fromName = part.filename && /\.([A-Za-z0-9]{1,8})$/.exec(part.filename)?.[1];
  const ext = given ?? fromName ?? (part.mimetype ? EXT_OF_TYPE[part.mimetype.split(';')[0]!.trim().toLowerCase()] : undefined);
  if (!ext || !/^[A-Za-z0-9]{1,8}$/.test(ext)) throw new InspectorError('STATION_UPLOAD_INVALID', `Cannot tell the image format of the ${part.view} upload: give a file name with an extension, an image content type, or ?ext=.`);
  return ext.toLowerCase();
}

/** The file name the watch pattern gives these fields ({serial}_{view}.{ext} → SN1_ct.png). */
export function nameFromPattern(pattern: string, fields: Record<string, string>): string {
  return pattern.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, k: string) => {
    const v = fields[k];
    if (v === undefined) throw new InspectorError('STATION_UPLOAD_INVALID', `The watch pattern ${pattern} needs {${k}}, which an upload does not carry; give it as a field.`);
    return v;
  });
}

export class Spool {
  constructor(
    readonly root: string,
    private readonly watch: WatchConfig,
    private readonly maxBytes: number,
  ) {}

  /**
   * Streams the parts into a fresh case folder. `fields` holds serial, lot and any other pattern
   * field; every view must be one of the watch's views, each at most once.
   */
  async receive(parts: AsyncIterable<UploadPart> | UploadPart[], fields: () => Record<string, string>, ext?: string): Promise<SpooledCase> {
    const id = randomUUID();
    const tmp = join(this.root, `.incoming-${id}`);
    mkdirSync(tmp, { recursive: true });
    const discard = () => rmSync(tmp, { recursive: true, force: true });
    try {
      const got: { view: string; ext: string; tmpPath: string; sha256: string; size: number }[] = [];
      for await (const part of parts) {
        const view = token('The view (form field name)', part.view);
        if (!this.watch.views.includes(view)) throw new InspectorError('STATION_VIEW_UNKNOWN', `"${view}" is not one of the views ${this.watch.views.join(', ')}.`);
        if (got.some((g) => g.view === view)) throw new InspectorError('STATION_UPLOAD_INVALID', `Two uploads for the view ${view}.`);
        const e = extOf(part, ext);
        const tmpPath = join(tmp, `${got.length}.${e}`);
        const hash = createHash('sha256');
        let size = 0;
        const max = this.maxBytes;
        const meter = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            size += chunk.length;
            if (size > max) return cb(new InspectorError('STATION_UPLOAD_TOO_LARGE', `The ${view} upload is larger than ${max} bytes (rest.upload_max_mb).`));
            hash.update(chunk);
            cb(null, chunk);
          },
        });
        await pipeline(part.stream, meter, createWriteStream(tmpPath, { flags: 'wx' }));
        if (part.truncated?.()) throw new InspectorError('STATION_UPLOAD_TOO_LARGE', `The ${view} upload is larger than ${max} bytes (rest.upload_max_mb).`);
        if (size === 0) throw new InspectorError('STATION_UPLOAD_INVALID', `The ${view} upload is empty.`);
        got.push({ view, ext: e, tmpPath, sha256: hash.digest('hex'), size });
      }
      if (got.length === 0) throw new InspectorError('STATION_UPLOAD_INVALID', 'The upload carries no image.');
      const f = fields();
      const serial = token('serial', f['serial']);
      const lot = f['lot'] === undefined || f['lot'] === '' ? null : token('lot', f['lot']);
      const dir = join(this.root, id);
      const extra: Record<string, string> = {};
      for (const [k, v] of Object.entries(f)) if (k !== 'lot' || lot) extra[k] = token(k, v);
      const files: CaseFile[] = got.map((g) => {
        const name = token('The file name', nameFromPattern(this.watch.pattern, { ...extra, serial, view: g.view, ext: g.ext }));
        return { view: g.view, path: join(dir, name), name, sha256: g.sha256, size: g.size, lastWriteMs: Date.now() };
      });
      const requestHash = createHash('sha256')
        .update(JSON.stringify({ serial, lot, files: files.map((x) => `${x.view}:${x.sha256}`).sort() }))
        .digest('hex');
      renameSync(tmp, dir);
      for (const [i, g] of got.entries()) renameSync(join(dir, basename(g.tmpPath)), files[i]!.path);
      return { serial, lot, files, dir, requestHash, discard: () => rmSync(dir, { recursive: true, force: true }) };
    } catch (e) {
      discard();
      throw e;
    }
  }
}
