/**
 * Reading labelled sets: an image-folder tree (one folder per class), a CSV manifest
 * (`path,label[,serial,view,mask]`), COCO JSON (boxes, polygons), YOLO txt (+ `classes.txt`),
 * labelme JSON polygons beside the images, and binary masks in a `masks/` folder (same stem).
 * Every problem is a coded error naming the file — a set that is wrong is never evaluated as if
 * it were right.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { InspectorError } from '../../../shared/errors';
import type { Box, LabelledImage, LabelledSet, SetFormat } from './types';

export const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp', '.dcm', '.dicom']);
const NORMAL_NAMES = ['normal', 'ok', 'good', 'pass', 'none', 'background'];

export interface LoadSetOptions {
  /** Labels file: `.csv` manifest or COCO `.json`. Without it the folder's layout says the format. */
  labels?: string;
  /** The class meaning "no defect"; default: a class named normal/ok/good/pass, else `normal`. */
  normalLabel?: string;
}

/** JSON from a labels file: untyped on purpose, every field used is checked where it is read. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type LabelsJson = any;

const isImage = (f: string) => IMAGE_EXT.has(extname(f).toLowerCase());

function listImages(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    if (e.startsWith('.')) continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...listImages(p));
    else if (isImage(e)) out.push(p);
  }
  return out;
}

function readJson(file: string): LabelsJson {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InspectorError('EVAL_LABELS_UNREADABLE', `Cannot read ${file} as JSON: ${(e as Error).message}`, { path: file });
  }
}

function mustExist(path: string, from: string): string {
  if (!existsSync(path) || !statSync(path).isFile()) throw new InspectorError('EVAL_FILE_MISSING', `${from} lists ${path}, which does not exist.`, { path, labels: from });
  return path;
}

/** `tol`: half a pixel of rounding in exported pixel coordinates; YOLO's fractions get a hair's width. */
function checkBox(box: Box, width: number | undefined, height: number | undefined, where: string, tol = 0.5): Box {
  const [x, y, w, h] = box;
  if (![x, y, w, h].every(Number.isFinite) || w <= 0 || h <= 0) throw new InspectorError('EVAL_BAD_BOX', `${where}: box [${box.join(', ')}] is not a box (finite x, y and positive width, height).`, { box, where });
  if (width !== undefined && height !== undefined && (x < -tol || y < -tol || x + w > width + tol || y + h > height + tol)) {
    throw new InspectorError('EVAL_BOX_OUTSIDE', `${where}: box [${box.map((v) => +v.toFixed(2)).join(', ')}] lies outside the ${width} × ${height} image.`, { box, width, height, where });
  }
  return box;
}

function polygonBox(points: [number, number][]): Box {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return [x, y, Math.max(...xs) - x, Math.max(...ys) - y];
}

function chooseNormal(classes: string[], wanted?: string): string {
  if (wanted) return wanted;
  return classes.find((c) => NORMAL_NAMES.includes(c.toLowerCase())) ?? 'normal';
}

/** Image label from its annotations: the most frequent class, ties by name; none → normal. */
function labelFromShapes(labels: string[], normal: string): string {
  if (!labels.length) return normal;
  const n = new Map<string, number>();
  for (const l of labels) n.set(l, (n.get(l) ?? 0) + 1);
  return [...n.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0];
}

function attachMasks(root: string, images: LabelledImage[]): void {
  const dir = join(root, 'masks');
  if (!existsSync(dir)) return;
  const byStem = new Map(listImages(dir).map((m) => [basename(m, extname(m)).replace(/_mask$/, ''), m]));
  for (const img of images) {
    const m = byStem.get(basename(img.path, extname(img.path)));
    if (m) img.maskPath = m;
  }
}

function fromFolders(root: string, opts: LoadSetOptions): Omit<LabelledSet, 'identity'> {
  const classes = readdirSync(root)
    .filter((d) => !d.startsWith('.') && d !== 'masks' && statSync(join(root, d)).isDirectory())
    .sort();
  if (!classes.length) throw new InspectorError('EVAL_SET_EMPTY', `${root} has no class folders (one folder per class, images inside) and no labels file.`, { path: root });
  const images: LabelledImage[] = [];
  for (const c of classes) for (const p of listImages(join(root, c))) images.push({ path: p, label: c, boxes: [], polygons: [] });
  const normalLabel = chooseNormal(classes, opts.normalLabel);
  attachMasks(root, images);
  return { root, format: 'folders', classes, normalLabel, images };
}

function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

function fromCsv(root: string, file: string, opts: LoadSetOptions): Omit<LabelledSet, 'identity'> {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim() && !l.startsWith('#'));
  const header = parseCsvLine(lines[0] ?? '').map((h) => h.toLowerCase());
  const col = (n: string) => header.indexOf(n);
  if (col('path') < 0 || col('label') < 0) throw new InspectorError('EVAL_LABELS_INVALID', `${file} needs a header with columns path and label (optional: serial, view, mask).`, { path: file });
  const base = dirname(file);
  const images: LabelledImage[] = lines.slice(1).map((l, k) => {
    const r = parseCsvLine(l);
    const rel = r[col('path')] ?? '';
    const label = r[col('label')] ?? '';
    if (!rel || !label) throw new InspectorError('EVAL_LABELS_INVALID', `${file} line ${k + 2}: path and label must not be empty.`, { path: file, line: k + 2 });
    const at = (p: string) => (isAbsolute(p) ? p : existsSync(join(base, p)) ? join(base, p) : join(root, p));
    const img: LabelledImage = { path: mustExist(resolve(at(rel)), file), label, boxes: [], polygons: [] };
    const serial = col('serial') >= 0 ? r[col('serial')] : undefined;
    const view = col('view') >= 0 ? r[col('view')] : undefined;
    const mask = col('mask') >= 0 ? r[col('mask')] : undefined;
    if (serial) img.serial = serial;
    if (view) img.view = view;
    if (mask) img.maskPath = mustExist(resolve(at(mask)), file);
    return img;
  });
  const classes = [...new Set(images.map((i) => i.label))].sort();
  return { root, format: 'csv', classes, normalLabel: chooseNormal(classes, opts.normalLabel), images };
}

function fromCoco(root: string, file: string, opts: LoadSetOptions): Omit<LabelledSet, 'identity'> {
  const doc = readJson(file);
  if (!Array.isArray(doc?.images) || !Array.isArray(doc?.annotations) || !Array.isArray(doc?.categories)) {
    throw new InspectorError('EVAL_LABELS_INVALID', `${file} is not COCO JSON (needs images, annotations and categories arrays).`, { path: file });
  }
  const cats = new Map<number, string>(doc.categories.map((c: LabelsJson) => [c.id, String(c.name)]));
  const base = dirname(file);
  const byId = new Map<number, LabelledImage>();
  for (const im of doc.images) {
    const name = String(im.file_name);
    const p = existsSync(join(base, name)) ? join(base, name) : join(root, name);
    byId.set(im.id, { path: mustExist(resolve(p), file), label: '', boxes: [], polygons: [], width: im.width, height: im.height });
  }
  for (const a of doc.annotations) {
    const img = byId.get(a.image_id);
    const where = `${file} annotation ${a.id}`;
    if (!img) throw new InspectorError('EVAL_LABELS_INVALID', `${where} refers to image ${a.image_id}, which is not in images.`, { path: file });
    const label = cats.get(a.category_id);
    if (label === undefined) throw new InspectorError('EVAL_UNKNOWN_CLASS', `${where} has category ${a.category_id}, which is not in categories.`, { path: file, category: a.category_id });
    if (Array.isArray(a.bbox)) img.boxes.push({ label, box: checkBox(a.bbox as Box, img.width, img.height, where) });
    if (Array.isArray(a.segmentation)) {
      for (const poly of a.segmentation as number[][]) {
        const points: [number, number][] = [];
        for (let i = 0; i + 1 < poly.length; i += 2) points.push([poly[i]!, poly[i + 1]!]);
        if (points.length >= 3) {
          checkBox(polygonBox(points), img.width, img.height, where);
          img.polygons.push({ label, points });
        }
      }
    }
  }
  const classes = [...new Set(doc.categories.map((c: LabelsJson) => String(c.name)))] as string[];
  const normalLabel = chooseNormal(classes, opts.normalLabel);
  for (const img of byId.values()) img.label = labelFromShapes([...img.boxes, ...img.polygons].map((s) => s.label), normalLabel);
  if (!classes.includes(normalLabel)) classes.unshift(normalLabel);
  const images = [...byId.values()];
  attachMasks(root, images);
  return { root, format: 'coco', classes, normalLabel, images };
}

function fromYolo(root: string, opts: LoadSetOptions): Omit<LabelledSet, 'identity'> {
  const classesFile = [join(root, 'classes.txt'), join(root, 'labels', 'classes.txt')].find(existsSync);
  if (!classesFile) throw new InspectorError('EVAL_LABELS_INVALID', `${root} has a labels/ folder but no classes.txt naming the YOLO class ids.`, { path: root });
  const names = readFileSync(classesFile, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
  const imagesDir = existsSync(join(root, 'images')) ? join(root, 'images') : root;
  const normalLabel = chooseNormal(names, opts.normalLabel);
  const images: LabelledImage[] = [];
  for (const p of listImages(imagesDir)) {
    const txt = join(root, 'labels', relative(imagesDir, dirname(p)), `${basename(p, extname(p))}.txt`);
    const img: LabelledImage = { path: p, label: normalLabel, boxes: [], polygons: [] };
    if (existsSync(txt)) {
      readFileSync(txt, 'utf8').split(/\r?\n/).forEach((line, k) => {
        if (!line.trim()) return;
        const v = line.trim().split(/\s+/).map(Number);
        const where = `${txt} line ${k + 1}`;
        const id = v[0]!;
        if (!Number.isInteger(id) || id < 0 || id >= names.length) throw new InspectorError('EVAL_UNKNOWN_CLASS', `${where}: class id ${line.split(/\s+/)[0]} is not in ${classesFile} (${names.length} classes).`, { path: txt, line: k + 1 });
        if (v.length !== 5 || v.some((x) => !Number.isFinite(x))) throw new InspectorError('EVAL_LABELS_INVALID', `${where}: expected "class cx cy w h" (normalised), got "${line.trim()}".`, { path: txt, line: k + 1 });
        const [, cx, cy, w, h] = v as [number, number, number, number, number];
        // Normalised to 0..1: a box is outside the image when it leaves the unit square.
        const box = checkBox([cx - w / 2, cy - h / 2, w, h], 1, 1, where, 1e-6);
        img.boxes.push({ label: names[id]!, box });
      });
      img.label = labelFromShapes(img.boxes.map((b) => b.label), normalLabel);
      img.boxesNormalised = true;
    }
    images.push(img);
  }
  const classes = names.includes(normalLabel) ? names : [normalLabel, ...names];
  attachMasks(root, images);
  return { root, format: 'yolo', classes, normalLabel, images };
}

function fromLabelme(root: string, opts: LoadSetOptions): Omit<LabelledSet, 'identity'> {
  const normalLabel = opts.normalLabel ?? 'normal';
  const images: LabelledImage[] = [];
  const seen = new Set<string>();
  for (const p of listImages(root).filter((p) => !p.includes(`${join(root, 'masks')}`))) {
    const side = [join(dirname(p), `${basename(p, extname(p))}.json`), join(root, 'labels', `${basename(p, extname(p))}.json`)].find(existsSync);
    const img: LabelledImage = { path: p, label: normalLabel, boxes: [], polygons: [] };
    if (side) {
      const doc = readJson(side);
      if (!Array.isArray(doc?.shapes)) throw new InspectorError('EVAL_LABELS_INVALID', `${side} is not labelme JSON (no shapes array).`, { path: side });
      img.width = doc.imageWidth;
      img.height = doc.imageHeight;
      doc.shapes.forEach((s: LabelsJson, k: number) => {
        const where = `${side} shape ${k}`;
        const pts = (s.points as [number, number][]) ?? [];
        const label = String(s.label);
        seen.add(label);
        if (s.shape_type === 'rectangle' && pts.length === 2) {
          const [a, b] = pts as [[number, number], [number, number]];
          img.boxes.push({ label, box: checkBox([Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.abs(b[0] - a[0]), Math.abs(b[1] - a[1])], img.width, img.height, where) });
        } else if (pts.length >= 3) {
          checkBox(polygonBox(pts), img.width, img.height, where);
          img.polygons.push({ label, points: pts });
        }
      });
      img.label = labelFromShapes([...img.boxes, ...img.polygons].map((s) => s.label), normalLabel);
    }
    images.push(img);
  }
  attachMasks(root, images);
  return { root, format: 'labelme', classes: [normalLabel, ...[...seen].filter((c) => c !== normalLabel).sort()], normalLabel, images };
}

function detectFormat(root: string, labels?: string): SetFormat {
  if (labels) {
    if (/\.csv$/i.test(labels)) return 'csv';
    if (/\.json$/i.test(labels)) return 'coco';
    throw new InspectorError('EVAL_LABELS_INVALID', `--labels ${labels}: expected a .csv manifest or a COCO .json file.`, { path: labels });
  }
  if (existsSync(join(root, 'labels')) && (existsSync(join(root, 'classes.txt')) || existsSync(join(root, 'labels', 'classes.txt')))) return 'yolo';
  for (const f of ['labels.csv', 'manifest.csv']) if (existsSync(join(root, f))) return 'csv';
  for (const f of ['annotations.json', 'coco.json']) if (existsSync(join(root, f))) return 'coco';
  const jsons = readdirSync(root).filter((f) => f.endsWith('.json'));
  if (jsons.length || existsSync(join(root, 'labels'))) return 'labelme';
  return 'folders';
}

/** The set's identity: what it contains (paths relative to the root, bytes, labels), not where it is. */
function identity(root: string, images: LabelledImage[]): string {
  const h = createHash('sha256');
  for (const i of [...images].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const fileHash = createHash('sha256').update(readFileSync(i.path)).digest('hex');
    h.update(`${relative(root, i.path)}\u001f${fileHash}\u001f${i.label}\n`);
  }
  return h.digest('hex');
}

export function loadSet(dir: string, opts: LoadSetOptions = {}): LabelledSet {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new InspectorError('EVAL_SET_NOT_FOUND', `The labelled set ${root} is not a folder.`, { path: root });
  const labels = opts.labels ? resolve(opts.labels) : undefined;
  if (labels && !existsSync(labels)) throw new InspectorError('EVAL_FILE_MISSING', `The labels file ${labels} does not exist.`, { path: labels });
  const format = detectFormat(root, labels);
  const file = (names: string[]) => labels ?? names.map((n) => join(root, n)).find(existsSync)!;
  const set =
    format === 'csv' ? fromCsv(root, file(['labels.csv', 'manifest.csv']), opts)
    : format === 'coco' ? fromCoco(root, file(['annotations.json', 'coco.json']), opts)
    : format === 'yolo' ? fromYolo(root, opts)
    : format === 'labelme' ? fromLabelme(root, opts)
    : fromFolders(root, opts);
  if (!set.images.length) throw new InspectorError('EVAL_SET_EMPTY', `The labelled set ${root} holds no images.`, { path: root });
  const seen = new Set<string>();
  const dup = set.images.find((img) => seen.has(img.path) || !seen.add(img.path));
  if (dup) throw new InspectorError('EVAL_LABELS_INVALID', `${dup.path} is listed twice in the set.`, { path: dup.path });
  return { ...set, identity: identity(root, set.images) };
}
