/**
 * `history export --format dataset`: the reviewed cases of a history filter as a training set, so
 * what reviewers corrected goes back into training (AI → reviewer corrects → stored → retrained).
 *
 *   DIR/images/<label>/<run>-<file>   ImageFolder layout (torchvision `ImageFolder(DIR/images)`)
 *   DIR/annotations/coco.json         COCO: one image per run, its boxes/polygons, image-level label
 *   DIR/manifest.csv                  one row per item: file, label, run, reviewer, decision, hashes
 *   DIR/dataset.json                  header (who, when, filters, chain head), counts, skipped runs,
 *                                     and the SHA-256 of every other file
 *
 * The label of an item is the reviewer's: accept → the AI's verdict, override → the reviewer's
 * class, reject → the reviewer's class when one was given. A reject without a class and an
 * `uncertain` review say what the case is *not*, not what it is, so they are left out and listed
 * as skipped. Boxes: the reviewer's boxes when the effective review has any (they replace the
 * AI's regions, as in the review view); else the AI's regions when the reviewer accepted; else
 * none (a rejected or overridden AI's regions are not ground truth).
 *
 * An image is copied only when its file still has the SHA-256 the history recorded: a file that
 * moved or changed since inspection would train on pixels nobody reviewed, so it is skipped and
 * named. The folder is built under a temporary name beside DIR, the audit entry (payload hash =
 * SHA-256 of dataset.json, which lists every file's hash) is written, then the folder is renamed
 * into place — the same order as the table exports.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { HistoryQuery, HistoryStore } from '../history/index';
import { recordEvent } from '../history/records';
import type { Region } from '../history/types';
import { InspectorError } from '../../shared/errors';
import { BOM, csvLine, type CsvCell } from './csv';
import { chainHead, describeFilters, nextTurn, requireOperator, type ExportOptions, type ExportResult } from './exportContext';
import { effectiveReview, runPages, runScope, type ExportReview, type ExportRun } from './rows';

export const DATASET_FORMAT = 'inspector.training-set/1';

export type SkipReason = 'uncertain' | 'rejected-without-label' | 'image-missing' | 'image-changed';

export interface DatasetExportResult extends Omit<ExportResult, 'format'> {
  format: 'dataset';
  /** Items written (one per reviewed run whose label and image are usable). */
  items: number;
  /** Items per label. */
  labels: Record<string, number>;
  /** Runs in the filter that were left out, and why. */
  skipped: { runId: number; reason: SkipReason }[];
}

/** One item of the set: what manifest.csv says and COCO carries per image. */
interface DatasetItem {
  file: string;
  label: string;
  run: ExportRun;
  review: ExportReview;
  width: number | null;
  height: number | null;
  regions: Region[];
  boxSource: 'reviewer' | 'ai' | 'none';
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const MANIFEST_COLUMNS: readonly { name: string; value: (it: DatasetItem) => CsvCell }[] = [
  { name: 'file', value: (it) => it.file },
  { name: 'label', value: (it) => it.label },
  { name: 'run_id', value: (it) => it.run.runId },
  { name: 'run_at', value: (it) => iso(it.run.createdAt) },
  { name: 'case_key', value: (it) => it.run.caseKey },
  { name: 'image_sha256', value: (it) => it.run.imageSha256 },
  { name: 'source_path', value: (it) => it.run.sourcePath },
  { name: 'modality', value: (it) => it.run.modality },
  { name: 'pack_name', value: (it) => it.run.packName },
  { name: 'pack_version', value: (it) => it.run.packVersion },
  { name: 'ai_verdict', value: (it) => it.run.verdict },
  { name: 'score', value: (it) => it.run.score },
  { name: 'decision', value: (it) => it.review.decision },
  { name: 'review_id', value: (it) => it.review.id },
  { name: 'reviewer_id', value: (it) => it.review.operatorId },
  { name: 'reviewer_name', value: (it) => it.review.operatorName },
  { name: 'reviewed_at', value: (it) => iso(it.review.createdAt) },
  { name: 'boxes', value: (it) => it.regions.length },
  { name: 'box_source', value: (it) => it.boxSource },
];

/** The reviewer's class for a run, or why it has none. */
export function reviewedLabel(run: Pick<ExportRun, 'verdict'>, review: Pick<ExportReview, 'decision' | 'label'>): { label: string } | { skip: SkipReason } {
  if (review.decision === 'accept') return { label: run.verdict };
  if (review.decision === 'uncertain') return { skip: 'uncertain' };
  // override always names a class (the store refuses one without); reject may.
  return review.label ? { label: review.label } : { skip: 'rejected-without-label' };
}

/** A label or file name as one safe path segment: no separators, no `..`, no control characters. */
export function pathSegment(s: string): string {
  // eslint-disable-next-line no-control-regex
  const t = s.replace(/[\\/:*?"<>|\u0000-\u001f]/g, '_').trim();
  return t === '' || t === '.' || t === '..' ? '_' : t;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Region geometry and image size per run, and the boxes of each review, for one page. */
function pageGeometry(store: HistoryStore, page: ExportRun[]) {
  const ids = page.map((r) => r.runId).join(',');
  const reviewIds = page.flatMap((r) => r.reviews.map((v) => v.id));
  // IDs are integers from SQLite itself: inlining them is safe.
  const runs = store.db
    .prepare(`SELECT r.id, r.regions, i.width, i.height FROM inference_runs r JOIN images i ON i.id = r.image_id WHERE r.id IN (${ids})`)
    .all() as { id: number; regions: string; width: number | null; height: number | null }[];
  const boxes = reviewIds.length
    ? (store.db.prepare(`SELECT id, boxes FROM reviews WHERE id IN (${reviewIds.join(',')})`).all() as { id: number; boxes: string }[])
    : [];
  return {
    run: new Map(runs.map((r) => [r.id, { regions: JSON.parse(r.regions) as Region[], width: r.width, height: r.height }])),
    reviewBoxes: new Map(boxes.map((b) => [b.id, JSON.parse(b.boxes) as Region[]])),
  };
}

function prepareTarget(out: string): string {
  const target = resolve(out);
  if (existsSync(target)) {
    if (!statSync(target).isDirectory() || readdirSync(target).length > 0) {
      throw new InspectorError('DATASET_OUT_EXISTS', `${target} exists and is not an empty folder; a training set goes into a new folder.`, { out: target });
    }
  }
  return target;
}

export async function exportDataset(
  store: HistoryStore,
  query: HistoryQuery,
  operatorId: string | null | undefined,
  opts: ExportOptions,
): Promise<DatasetExportResult> {
  const operator = requireOperator(store, operatorId);
  const status = query.reviewStatus ?? 'any';
  if (status === 'unreviewed') {
    throw new InspectorError('EXPORT_BAD_FILTER', 'A training set holds reviewed cases; --status unreviewed selects none.');
  }
  const q: HistoryQuery = { ...query, reviewStatus: status === 'any' ? 'reviewed' : status };
  const target = prepareTarget(opts.out);
  const scope = runScope(store.db, q);
  const head = chainHead(store);
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now()}.partial`);
  try {
    mkdirSync(temp, { recursive: false });
  } catch (e) {
    throw new InspectorError('EXPORT_WRITE_FAILED', `Cannot write ${target}: ${(e as Error).message}`, { file: target });
  }

  const items: DatasetItem[] = [];
  const skipped: DatasetExportResult['skipped'] = [];
  const files: { path: string; sha256: string; bytes: number }[] = [];
  const put = (rel: string, data: Uint8Array) => {
    const abs = join(temp, rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, data, { flag: 'wx' });
    files.push({ path: rel, sha256: sha256(data), bytes: data.length });
  };
  try {
    let seen = 0;
    for (const page of runPages(store.db, scope, opts.pageSize)) {
      const geo = pageGeometry(store, page);
      for (const run of page) {
        const review = effectiveReview(run)!;
        const verdict = reviewedLabel(run, review);
        if ('skip' in verdict) {
          skipped.push({ runId: run.runId, reason: verdict.skip });
          continue;
        }
        const label = verdict.label;
        let bytes: Buffer;
        try {
          bytes = readFileSync(run.sourcePath);
        } catch {
          skipped.push({ runId: run.runId, reason: 'image-missing' });
          continue;
        }
        if (sha256(bytes) !== run.imageSha256) {
          skipped.push({ runId: run.runId, reason: 'image-changed' });
          continue;
        }
        const file = `images/${pathSegment(label)}/${run.runId}-${pathSegment(basename(run.sourcePath))}`;
        put(file, bytes);
        const g = geo.run.get(run.runId)!;
        const drawn = geo.reviewBoxes.get(review.id) ?? [];
        const [regions, boxSource]: [Region[], DatasetItem['boxSource']] = drawn.length
          ? [drawn, 'reviewer']
          : review.decision === 'accept' && g.regions.length
            ? [g.regions, 'ai']
            : [[], 'none'];
        items.push({ file, label, run, review, width: g.width, height: g.height, regions, boxSource });
      }
      seen += page.length;
      opts.onProgress?.(seen);
      await nextTurn();
    }

    put('manifest.csv', Buffer.from(BOM + csvLine(MANIFEST_COLUMNS.map((c) => c.name)) + items.map((it) => csvLine(MANIFEST_COLUMNS.map((c) => c.value(it)))).join(''), 'utf8'));
    put('annotations/coco.json', Buffer.from(JSON.stringify(toCoco(items)), 'utf8'));

    const labels: Record<string, number> = {};
    for (const it of items) labels[it.label] = (labels[it.label] ?? 0) + 1;
    const header = {
      format: DATASET_FORMAT,
      exported_at: new Date().toISOString(),
      exported_by: { id: operator.id, name: operator.name, role: operator.role },
      app_version: opts.appVersion ?? null,
      filters: describeFilters(q),
      through_run_id: scope.maxRunId,
      audit_head: { seq: head.seq, hash: head.hash },
      items: items.length,
      labels,
      skipped,
      files,
    };
    const manifest = Buffer.from(JSON.stringify(header, null, 2) + '\n', 'utf8');
    writeFileSync(join(temp, 'dataset.json'), manifest, { flag: 'wx' });
    const digest = sha256(manifest);
    const audit = store.write((tx) => {
      recordEvent(tx, operator.id, 'export.dataset', basename(target), digest);
      return tx.chain.head;
    });
    if (existsSync(target)) rmdirSync(target); // checked empty above
    renameSync(temp, target);
    const bytes = files.reduce((a, f) => a + f.bytes, manifest.length);
    return { file: target, format: 'dataset', runs: seen, items: items.length, labels, skipped, bytes, sha256: digest, audit };
  } catch (e) {
    rmSync(temp, { recursive: true, force: true });
    throw e;
  }
}

/** COCO (instances) with an image-level label per image; polygons where a region has one, else its box outline. */
function toCoco(items: DatasetItem[]) {
  const names = [...new Set([...items.map((it) => it.label), ...items.flatMap((it) => it.regions.map((g) => g.label))])].sort();
  const category = new Map(names.map((n, i) => [n, i + 1]));
  let annId = 0;
  return {
    info: { description: 'Inspector reviewed cases', format: DATASET_FORMAT, date_created: new Date().toISOString() },
    licenses: [],
    categories: names.map((n) => ({ id: category.get(n)!, name: n, supercategory: 'inspector' })),
    images: items.map((it) => ({
      id: it.run.runId,
      file_name: it.file,
      width: it.width,
      height: it.height,
      label: it.label,
      category_id: category.get(it.label)!,
      run_id: it.run.runId,
      decision: it.review.decision,
      reviewer_id: it.review.operatorId,
      ai_verdict: it.run.verdict,
      image_sha256: it.run.imageSha256,
    })),
    annotations: items.flatMap((it) =>
      it.regions.map((g) => {
        const [x, y, w, h] = g.box;
        const poly = g.polygon?.length ? g.polygon.flat() : [x, y, x + w, y, x + w, y + h, x, y + h];
        return {
          id: ++annId,
          image_id: it.run.runId,
          category_id: category.get(g.label)!,
          bbox: [x, y, w, h],
          area: g.polygon?.length ? polygonArea(g.polygon) : w * h,
          segmentation: [poly],
          iscrowd: 0,
          source: it.boxSource,
          ...(g.score !== undefined ? { score: g.score } : {}),
        };
      }),
    ),
  };
}

/** Shoelace area of a closed polygon in pixels². */
export function polygonArea(p: readonly (readonly [number, number])[]): number {
  let a = 0;
  for (let i = 0; i < p.length; i++) {
    const [x1, y1] = p[i]!;
    const [x2, y2] = p[(i + 1) % p.length]!;
    a += x1 * y2 - x2 * y1;
  }
  return Math.abs(a) / 2;
}
