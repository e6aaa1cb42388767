/**
 * `history export --format dataset` on a real SQLite history, real PNGs and real reviews (accepts,
 * overrides with drawn boxes and a polygon, a reject with a class, a supervisor's correction, an
 * uncertain review, a reject without a class, a moved and a changed file). Reading the folder back
 * — ImageFolder directories, manifest.csv, COCO — gives exactly the labels and boxes the history
 * holds (taken from the store's own review state and `getRun`, not from the export's query), the
 * copied bytes are the inspected ones, and the export is one audit entry whose hash seals every file.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRun, HistoryStore, readAnchor, verifyAudit, type InferenceRecord, type Region } from '../../../src/core/history/index';
import { exportDataset, MANIFEST_COLUMNS } from '../../../src/core/reports/index';
import { repoRoot } from '../../support/paths';
import { tempDir } from '../../unit/history/support';
import { parseCsv } from './support/csv';

const IMAGES = join(repoRoot, 'tests', 'fixtures', 'packs', 'images');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const t = tempDir('inspector-dataset-');
let store: HistoryStore;
const runOf: Record<string, number> = {};

async function record(name: string, file: string, verdict: string, regions: Region[] = []): Promise<number> {
  const path = join(t.dir, file);
  copyFileSync(join(IMAGES, file), path);
  const bytes = readFileSync(path);
  const meta = await sharp(bytes).metadata();
  const rec: InferenceRecord = {
    case: { key: `CELL-${name}`, kind: 'cell', line: 'L1', station: 'CT2' },
    image: { sourcePath: path, sha256: sha(bytes), format: 'png', modality: 'ct', width: meta.width!, height: meta.height!, validation: { outcome: 'ok' } },
    pack: { name: 'battery-ct', version: '1.2.0', fileHashes: { 'model.onnx': 'a'.repeat(64) } },
    provider: 'cpu',
    verdict,
    score: verdict === 'defect' ? 0.91 : 0.12,
    threshold: 0.5,
    regions,
  };
  const id = store.recordInference(rec).runId;
  runOf[name] = id;
  return id;
}

/** The store's own idea of each reviewed run's class (review_state.human_label, written by its trigger). */
function humanLabels(): Map<number, string | null> {
  const rows = store.db.prepare('SELECT run_id, human_label FROM review_state').all() as { run_id: number; human_label: string | null }[];
  return new Map(rows.map((r) => [r.run_id, r.human_label]));
}

describe('history export --format dataset', () => {
  beforeAll(async () => {
    store = HistoryStore.open(t.file);
    store.createOperator({ id: 'kim.j', name: '김지현', role: 'reviewer' });
    store.createOperator({ id: 'park.m', name: '박민준', role: 'supervisor' });
    const aiBox: Region = { box: [40, 30, 20, 16], label: 'void', score: 0.9 };
    store.recordReview({ runId: await record('ok-accept', 'normal_0.png', 'normal'), operatorId: 'kim.j', decision: 'accept' });
    store.recordReview({ runId: await record('defect-accept', 'defect_4.png', 'defect', [aiBox]), operatorId: 'kim.j', decision: 'accept' });
    store.recordReview({
      runId: await record('missed', 'defect_5.png', 'normal'),
      operatorId: 'kim.j',
      decision: 'override',
      label: 'defect',
      boxes: [
        { box: [10, 12, 8, 6], label: 'void' },
        { box: [30, 30, 10, 10], label: 'crack', polygon: [[30, 30], [40, 30], [40, 40]] },
      ],
    });
    store.recordReview({ runId: await record('false-alarm', 'normal_1.png', 'defect', [aiBox]), operatorId: 'kim.j', decision: 'reject', label: 'normal' });
    const first = store.recordReview({ runId: await record('corrected', 'normal_2.png', 'defect', [aiBox]), operatorId: 'kim.j', decision: 'accept' });
    store.recordReview({ runId: runOf['corrected']!, operatorId: 'park.m', decision: 'override', label: 'normal', supersedes: first, note: '재판정' });
    store.recordReview({ runId: await record('unsure', 'normal_3.png', 'normal'), operatorId: 'kim.j', decision: 'uncertain' });
    await record('unreviewed', 'wide_defect.png', 'defect', [aiBox]);
    // The same file inspected again under another name, then reviewed: a reject that names no class.
    copyFileSync(join(IMAGES, 'normal_0.png'), join(t.dir, 'again.png'));
    const again = store.recordInference({ ...getRecord('again.png'), verdict: 'defect' }).runId;
    runOf['no-class'] = again;
    store.recordReview({ runId: again, operatorId: 'kim.j', decision: 'reject' });
    // A reviewed file that has since changed on disk, and one that has moved away.
    store.recordReview({ runId: await record('changed', 'defect_4.png', 'defect'), operatorId: 'kim.j', decision: 'accept' });
    writeFileSync(join(t.dir, 'defect_4.png'), Buffer.concat([readFileSync(join(IMAGES, 'defect_4.png')), Buffer.from([0])]));
    copyFileSync(join(IMAGES, 'normal_0.png'), join(t.dir, 'moved.png'));
    const moved = store.recordInference({ ...getRecord('moved.png'), verdict: 'normal' }).runId;
    runOf['moved'] = moved;
    store.recordReview({ runId: moved, operatorId: 'kim.j', decision: 'accept' });
    rmSync(join(t.dir, 'moved.png'));
  });
  afterAll(() => {
    store?.close();
    t.cleanup();
  });

  function getRecord(file: string): InferenceRecord {
    const path = join(t.dir, file);
    return {
      case: { key: `CELL-${file}`, kind: 'cell' },
      image: { sourcePath: path, sha256: sha(readFileSync(path)), format: 'png', modality: 'ct', width: 64, height: 64, validation: { outcome: 'ok' } },
      pack: { name: 'battery-ct', version: '1.2.0', fileHashes: {} },
      provider: 'cpu',
      verdict: 'normal',
      score: 0.2,
    };
  }

  it('round-trips: ImageFolder, manifest and COCO give back the labels, reviewers and boxes the history holds', async () => {
    // Note: defect_4.png was overwritten after 'defect-accept' was recorded too, so that run is also 'image-changed'.
    const out = join(t.dir, 'set');
    const res = await exportDataset(store, {}, 'kim.j', { out, pageSize: 3, appVersion: '9.9.9' });
    const human = humanLabels();

    // ImageFolder: class = directory under images/.
    const folder = new Map<string, string>();
    for (const label of readdirSync(join(out, 'images'))) for (const f of readdirSync(join(out, 'images', label))) folder.set(`images/${label}/${f}`, label);

    const csv = parseCsv(readFileSync(join(out, 'manifest.csv'), 'utf8').replace(/^\uFEFF/, ''));
    expect(csv[0]).toEqual(MANIFEST_COLUMNS.map((c) => c.name));
    const rows = csv.slice(1).map((r) => Object.fromEntries(csv[0]!.map((k, i) => [k, r[i]!])));
    expect(new Set(rows.map((r) => r['file']))).toEqual(new Set(folder.keys()));

    const expectedItems = ['ok-accept', 'missed', 'false-alarm', 'corrected'].map((n) => runOf[n]!).sort((a, b) => a - b);
    expect(rows.map((r) => Number(r['run_id'])).sort((a, b) => a - b)).toEqual(expectedItems);
    for (const r of rows) {
      const runId = Number(r['run_id']);
      const d = getRun(store.db, runId);
      const eff = d.reviews.find((v) => v.supersededBy === null)!;
      expect(folder.get(r['file']!)).toBe(human.get(runId));
      expect(r['label']).toBe(human.get(runId));
      expect(r).toMatchObject({ decision: eff.decision, reviewer_id: eff.operatorId, review_id: String(eff.id), ai_verdict: d.run.verdict, image_sha256: d.image.sha256 });
      expect(sha(readFileSync(join(out, r['file']!)))).toBe(d.image.sha256);
    }
    expect(rows.find((r) => Number(r['run_id']) === runOf['corrected'])).toMatchObject({ label: 'normal', decision: 'override', reviewer_id: 'park.m', reviewer_name: '박민준' });

    // COCO: one image per item with its reviewed label; boxes = the reviewer's, else the AI's on accept.
    const coco = JSON.parse(readFileSync(join(out, 'annotations', 'coco.json'), 'utf8')) as {
      categories: { id: number; name: string }[];
      images: { id: number; file_name: string; label: string; category_id: number; width: number; height: number }[];
      annotations: { image_id: number; category_id: number; bbox: number[]; segmentation: number[][]; area: number; source: string }[];
    };
    const cat = new Map(coco.categories.map((c) => [c.id, c.name]));
    expect(coco.images.map((i) => i.id).sort((a, b) => a - b)).toEqual(expectedItems);
    for (const img of coco.images) {
      const d = getRun(store.db, img.id);
      const eff = d.reviews.find((v) => v.supersededBy === null)!;
      expect(cat.get(img.category_id)).toBe(human.get(img.id));
      expect(folder.get(img.file_name)).toBe(img.label);
      expect([img.width, img.height]).toEqual([d.image.width, d.image.height]);
      const want = eff.boxes.length ? eff.boxes : eff.decision === 'accept' ? d.run.regions : [];
      const got = coco.annotations.filter((a) => a.image_id === img.id);
      expect(got.map((a) => ({ label: cat.get(a.category_id), box: a.bbox }))).toEqual(want.map((g) => ({ label: g.label, box: g.box })));
    }
    const crack = coco.annotations.find((a) => cat.get(a.category_id) === 'crack')!;
    expect(crack).toMatchObject({ segmentation: [[30, 30, 40, 30, 40, 40]], area: 50, source: 'reviewer' });
    // The AI's box on the false alarm (rejected) and on the corrected run is not ground truth.
    expect(coco.annotations.filter((a) => a.image_id === runOf['false-alarm'] || a.image_id === runOf['corrected'])).toEqual([]);

    // Skipped runs are named with the reason; unreviewed runs are not in scope at all.
    expect(res.skipped.sort((a, b) => a.runId - b.runId)).toEqual(
      [
        { runId: runOf['defect-accept']!, reason: 'image-changed' },
        { runId: runOf['unsure']!, reason: 'uncertain' },
        { runId: runOf['no-class']!, reason: 'rejected-without-label' },
        { runId: runOf['changed']!, reason: 'image-changed' },
        { runId: runOf['moved']!, reason: 'image-missing' },
      ].sort((a, b) => a.runId - b.runId),
    );
    expect(res).toMatchObject({ format: 'dataset', runs: 9, items: 4, labels: { normal: 3, defect: 1 } });

    // dataset.json seals every file; its hash is the audit entry's payload and the chain verifies.
    const manifestBytes = readFileSync(join(out, 'dataset.json'));
    const header = JSON.parse(manifestBytes.toString('utf8')) as { format: string; files: { path: string; sha256: string }[]; exported_by: { id: string }; filters: Record<string, string> };
    expect(header).toMatchObject({ format: 'inspector.training-set/1', exported_by: { id: 'kim.j' }, filters: { review_status: 'reviewed' } });
    expect(header.files.map((f) => f.path).sort()).toEqual([...folder.keys(), 'manifest.csv', 'annotations/coco.json'].sort());
    for (const f of header.files) expect(sha(readFileSync(join(out, f.path)))).toBe(f.sha256);
    const entry = store.db.prepare('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1').get() as Record<string, unknown>;
    expect(entry).toMatchObject({ actor: 'kim.j', action: 'export.dataset', entity_id: 'set', record_hash: sha(manifestBytes), seq: res.audit.seq });
    expect(verifyAudit(store.db, readAnchor(store.file)).firstBreak).toBeNull();
    expect(readdirSync(t.dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('narrows by the history filters (reviewer) and refuses a used folder, unreviewed cases and no operator', async () => {
    const res = await exportDataset(store, { reviewer: 'park.m' }, 'park.m', { out: join(t.dir, 'park') });
    expect(res).toMatchObject({ runs: 1, items: 1, labels: { normal: 1 } });
    const seq = store.db.prepare('SELECT max(seq) FROM audit_log').pluck().get();
    await expect(exportDataset(store, {}, 'kim.j', { out: join(t.dir, 'park') })).rejects.toMatchObject({ code: 'DATASET_OUT_EXISTS' });
    await expect(exportDataset(store, { reviewStatus: 'unreviewed' }, 'kim.j', { out: join(t.dir, 'x') })).rejects.toMatchObject({ code: 'EXPORT_BAD_FILTER' });
    await expect(exportDataset(store, {}, undefined, { out: join(t.dir, 'y') })).rejects.toMatchObject({ code: 'OPERATOR_REQUIRED' });
    expect(store.db.prepare('SELECT max(seq) FROM audit_log').pluck().get()).toBe(seq);
    expect(existsSync(join(t.dir, 'x')) || existsSync(join(t.dir, 'y'))).toBe(false);
  });

  it('is what `inspector history export --format dataset` writes, and torchvision ImageFolder reads the same classes', () => {
    store.close();
    const out = join(t.dir, 'cli-set');
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'inspector.js'), 'history', 'export', '--format', 'dataset', '--out', out, '--operator', 'kim.j', '--db', t.file, '--json'], {
      encoding: 'utf8',
      env: { ...process.env, INSPECTOR_DATA_DIR: t.dir },
    });
    store = HistoryStore.open(t.file);
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as { items: number; labels: Record<string, number> };
    expect(res).toMatchObject({ items: 4, labels: { normal: 3, defect: 1 } });
    const py = '/usr/bin/python3';
    const probe = spawnSync(py, ['-c', 'import torchvision'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      console.warn('python3-torchvision not installed: skipping the ImageFolder read-back');
      return;
    }
    const read = spawnSync(py, [join(repoRoot, 'training', 'lib', 'reviewed_set.py'), out], { encoding: 'utf8' });
    expect(read.status, read.stderr).toBe(0);
    const got = JSON.parse(read.stdout) as { run_id: number; label: string }[];
    const human = humanLabels();
    expect(got).toHaveLength(4);
    for (const g of got) expect(g.label).toBe(human.get(g.run_id));
  });
});
