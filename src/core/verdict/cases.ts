/**
 * Cases: the images of one part or study, inspected together and given one integrated verdict.
 * Grouped by folder, by a file-name pattern (`{serial}_{view}.{ext}`), by a manifest CSV, or for
 * DICOM by StudyInstanceUID. Each image also gets its side (internal/external) when it can be told.
 *
 * Case identity (the history's case key) must be unique and stable: two parts are one case only when
 * they are. A serial (pattern), a manifest's case column or a StudyInstanceUID names the part
 * itself. Without one, the part is its folder, and a folder is named by its full path (`/`
 * separators), never by its bare name: `lineA/images` and `lineB/images` are two parts however
 * (and from wherever) they were given. Files that name no case carry their full path too.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve, sep } from 'node:path';
import dicomParser from 'dicom-parser';
import { InspectorError } from '../../shared/errors';
import type { InspectorConfig } from './config';
import type { Side } from './verdict';

export interface CaseImage {
  path: string;
  side?: Side;
  fields?: Record<string, string>;
}

export interface Case {
  id: string;
  images: CaseImage[];
}

/** `{serial}_{view}.{ext}` → a regex with one named group per field (fields never span `/`). */
export function patternRegex(pattern: string): RegExp {
  let src = '';
  let last = 0;
  for (const m of pattern.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
    src += pattern.slice(last, m.index).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    src += m[1] === 'ext' ? '(?<ext>[^/.]+)' : `(?<${m[1]}>[^/]+?)`;
    last = m.index! + m[0].length;
  }
  src += pattern.slice(last).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${src}$`);
}

function parseCsv(text: string): string[][] {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => l.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1')));
}

function studyUid(path: string): string | undefined {
  if (!/\.(dcm|dicom)$/i.test(path) && extname(path) !== '') return undefined;
  // The study UID sits in the first few KB; read only that much.
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(65536);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const ds = dicomParser.parseDicom(new Uint8Array(buf.buffer, buf.byteOffset, n), { untilTag: 'x0020000e' });
    return ds.string('x0020000d') ?? undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** A path as a case key: absolute, `/`-separated on every platform, so keys match across runs. */
export function pathKey(p: string): string {
  const abs = resolve(p);
  return sep === '/' ? abs : abs.split(sep).join('/');
}

function defaultSide(path: string, cfg: InspectorConfig): Side | undefined {
  const sides = cfg.sides;
  if (sides.internal && !sides.external) return 'internal';
  if (sides.external && !sides.internal) return 'external';
  return /\.(dcm|dicom)$/i.test(path) ? 'internal' : undefined;
}

/**
 * `_baseDir` (the inputs' common folder) no longer shapes ids — a key relative to it collided across
 * runs (issue 11); it stays in the signature for callers that pass it.
 */
export function groupCases(paths: readonly string[], cfg: InspectorConfig, _baseDir?: string): Case[] {
  const c = cfg.cases;
  const byId = new Map<string, CaseImage[]>();
  const add = (id: string, img: CaseImage) => {
    const list = byId.get(id) ?? [];
    list.push(img);
    byId.set(id, list);
  };
  if (c.groupBy === 'manifest') {
    const csvPath = c.manifest!;
    let rows: string[][];
    try {
      rows = parseCsv(readFileSync(csvPath, 'utf8'));
    } catch {
      throw new InspectorError('CASES_MANIFEST_UNREADABLE', `Cannot read the case manifest ${csvPath}.`, { path: csvPath });
    }
    const header = rows[0]?.map((h) => h.toLowerCase()) ?? [];
    const pi = header.indexOf('path');
    const ci = header.indexOf('case');
    const si = header.indexOf('side');
    if (pi < 0 || ci < 0) throw new InspectorError('CASES_MANIFEST_INVALID', `${csvPath} needs a header with columns path and case.`, { path: csvPath });
    const lookup = new Map<string, { id: string; side?: Side }>();
    for (const r of rows.slice(1)) {
      const p = isAbsolute(r[pi]!) ? r[pi]! : join(dirname(csvPath), r[pi]!);
      const side = si >= 0 && (r[si] === 'internal' || r[si] === 'external') ? (r[si] as Side) : undefined;
      lookup.set(p, { id: r[ci]!, ...(side ? { side } : {}) });
    }
    for (const p of paths) {
      const hit = lookup.get(p);
      const side = hit?.side ?? defaultSide(p, cfg);
      add(hit?.id ?? `unlisted:${pathKey(p)}`, { path: p, ...(side ? { side } : {}) });
    }
  } else if (c.groupBy === 'pattern') {
    const re = patternRegex(c.pattern!);
    for (const p of paths) {
      const m = re.exec(basename(p));
      const fields = m?.groups ? { ...m.groups } : undefined;
      const sideValue = fields && c.sideField ? fields[c.sideField] : undefined;
      const side = (sideValue !== undefined ? c.sideValues[sideValue] : undefined) ?? defaultSide(p, cfg);
      const id = fields?.[c.caseField] ?? `unmatched:${pathKey(p)}`;
      add(id, { path: p, ...(side ? { side } : {}), ...(fields ? { fields } : {}) });
    }
  } else if (c.groupBy === 'dicom-study') {
    for (const p of paths) {
      const uid = studyUid(p);
      const side = defaultSide(p, cfg);
      add(uid ?? `folder:${pathKey(dirname(p))}`, { path: p, ...(side ? { side } : {}) });
    }
  } else {
    for (const p of paths) {
      const side = defaultSide(p, cfg);
      add(pathKey(dirname(p)), { path: p, ...(side ? { side } : {}) });
    }
  }
  return [...byId.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([id, images]) => ({ id, images }));
}
