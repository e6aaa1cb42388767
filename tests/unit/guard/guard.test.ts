/**
 * The input guard on the shipped packs, real images, real engine: own held-out images pass the
 * guard (false alarms within the measured rate, ≤ 2 %), other packs' images and unrelated images are
 * flagged INPUT_OUT_OF_DISTRIBUTION, the flagged image's decision is uncertain, its case is never
 * PASS, and the history record in SQLite carries the flag.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine, maxBatch } from '../../../src/core/engine/engine';
import { loadImage } from '../../../src/core/engine/image';
import { guardImages } from '../../../src/core/guard/guard';
import { inspect } from '../../../src/core/engine/inspect';
import { HistoryStore } from '../../../src/core/history/index';
import { loadPack } from '../../../src/core/packs/load';
import { loadConfig } from '../../../src/core/verdict/config';
import { recordInspection } from '../../../src/host/recordInspection';
import { hasShared, repoRoot, sharedData } from '../../support/paths';
import { tempDir } from '../history/support';

const packs = {
  battery: loadPack(join(repoRoot, 'models', 'battery-ct-porosity')),
  chest: loadPack(join(repoRoot, 'models', 'chest-xray-pneumonia')),
  surface: loadPack(join(repoRoot, 'models', 'surface-pitting-ae')),
};
const samples = (dir: string) =>
  readdirSync(join(repoRoot, 'resources', 'samples', dir))
    .filter((f) => /\.(png|jpe?g|dcm)$/i.test(f))
    .sort()
    .map((f) => join(repoRoot, 'resources', 'samples', dir, f));
const dicomSeries = readdirSync(join(repoRoot, 'resources', 'samples', 'battery-ct-porosity', 'dicom-series')).map((f) =>
  join(repoRoot, 'resources', 'samples', 'battery-ct-porosity', 'dicom-series', f),
);

const engine = new Engine();
afterAll(() => engine.close());

async function flags(pack: keyof typeof packs, files: string[]): Promise<boolean[]> {
  const rs = await engine.inspectFiles(packs[pack], files, { method: 'none' });
  for (const r of rs) {
    expect(r.error, r.source).toBeUndefined();
    expect(r.guard, r.source).toBeDefined();
    // The flag and the decision go together: flagged is uncertain, never pass or a confident defect.
    if (r.guard!.outOfDistribution) {
      expect(r.decision).toBe('uncertain');
      expect(r.guard!.code).toBe('INPUT_OUT_OF_DISTRIBUTION');
      expect(r.guard!.reasons.length).toBeGreaterThan(0);
    }
  }
  return rs.map((r) => r.guard!.outOfDistribution);
}

describe('input guard on the shipped packs: own sample cases are inside, other packs’ samples outside', () => {
  it('every shipped pack records an envelope with a statistic, its file hashed in files:', () => {
    for (const p of Object.values(packs)) {
      const g = p.manifest.guard!;
      expect(g.statistic?.feature).toBe('layers');
      expect(p.manifest.files['guard.json']).toMatch(/^[0-9a-f]{64}$/);
      expect(g.measured?.['falseAlarmRate']).toBeLessThanOrEqual(0.02);
      expect(g.measured?.['detectionRate']).toBeGreaterThanOrEqual(0.95);
    }
  });

  it('battery pack: its held-out-slice views (PNG and DICOM) and line-demo views pass the guard', async () => {
    const own = [...samples('battery-ct-porosity'), ...dicomSeries, ...samples('line-demo').filter((f) => f.endsWith('_ct.png'))];
    expect(own).toHaveLength(12);
    expect(await flags('battery', own)).toEqual(own.map(() => false));
  });

  it('battery pack: chest radiographs and ball-screw photos are flagged', async () => {
    const foreign = [...samples('chest-xray-pneumonia'), ...samples('surface-pitting-ae')];
    expect(await flags('battery', foreign)).toEqual(foreign.map(() => true));
  });

  it('the chest sample through the battery pack: flagged by the statistic itself, not only by a rule', async () => {
    const [r] = await engine.inspectFiles(packs.battery, [join(repoRoot, 'resources/samples/chest-xray-pneumonia/normal_00001299_000.jpg')], { method: 'gradcam' });
    expect(r!.classification!.topLabel).toBe('porosity'); // what the model alone would say, confidently
    expect(r!.classification!.topProbability).toBeGreaterThan(0.99);
    expect(r!.decision).toBe('uncertain');
    expect(r!.regions).toEqual([]); // no defect locations from a model outside its domain
    expect(r!.explanation?.map.valid).toBe(true); // the map stays for the reviewer
    expect(r!.guard!.statistic!.value).toBeGreaterThan(r!.guard!.statistic!.threshold);
    expect(r!.guard!.reasons.join(' ')).toMatch(/internal features/);
  });

  it('chest pack: its samples pass; battery views and photos are flagged', async () => {
    const own = [...samples('chest-xray-pneumonia'), join(repoRoot, 'resources/samples/chest-xray-pneumonia/dicom/RG1_J2KI.dcm')];
    expect(await flags('chest', own)).toEqual([false, false, false, false, false]);
    const foreign = [...samples('battery-ct-porosity'), ...dicomSeries, ...samples('surface-pitting-ae')];
    expect(await flags('chest', foreign)).toEqual(foreign.map(() => true));
  });

  it('surface pack: its samples pass; CT views and radiographs are flagged', async () => {
    expect(await flags('surface', samples('surface-pitting-ae'))).toEqual([false, false, false, false]);
    const foreign = [...samples('battery-ct-porosity'), ...samples('chest-xray-pneumonia')];
    expect(await flags('surface', foreign)).toEqual(foreign.map(() => true));
  });

  it('a case with an out-of-distribution image is UNCERTAIN, not the defect the model alone reports, and is recorded so', async () => {
    const chest = join(repoRoot, 'resources/samples/chest-xray-pneumonia/normal_00001299_000.jpg');
    const report = await inspect(engine, { paths: [chest], packs: [packs.battery], config: loadConfig(undefined) });
    expect(report.cases).toHaveLength(1);
    expect(report.cases[0]!.verdict.verdict).toBe('UNCERTAIN');
    expect(report.cases[0]!.flags?.map((f) => f.code)).toEqual(['INPUT_OUT_OF_DISTRIBUTION']);
    const t = tempDir('inspector-guard-');
    const store = HistoryStore.open(t.file);
    try {
      const [runId] = recordInspection(store, report);
      const row = store.db
        .prepare('SELECT r.verdict, r.scores, r.thresholds, i.validation FROM inference_runs r JOIN images i ON i.id = r.image_id WHERE r.id = ?')
        .get(runId) as { verdict: string; scores: string; thresholds: string; validation: string };
      expect(row.verdict).toBe('uncertain');
      const validation = JSON.parse(row.validation) as { outcome: string; code: string; message: string };
      expect(validation.outcome).toBe('warning');
      expect(validation.code).toBe('INPUT_OUT_OF_DISTRIBUTION');
      expect(validation.message).toMatch(/Mahalanobis/);
      const scores = JSON.parse(row.scores) as Record<string, number>;
      expect(scores['outOfDistribution']).toBe(1);
      expect(scores['guard']).toBeGreaterThan((JSON.parse(row.thresholds) as Record<string, number>)['guard']!);
    } finally {
      store.close();
      t.cleanup();
    }
  });

  it('a case whose images are inside the envelope keeps its verdict (line demo: a real defect stays a defect)', async () => {
    const dir = join(repoRoot, 'resources/samples/line-demo');
    const report = await inspect(engine, {
      paths: [dir],
      packs: [packs.battery, packs.surface],
      config: loadConfig(join(dir, 'inspector.yaml')),
      baseDir: dir,
    });
    expect(report.cases.map((c) => c.verdict.verdict)).toEqual(['PASS', 'INTERNAL_DEFECT', 'PASS', 'COMBINED_DEFECT']);
    expect(report.cases.every((c) => !c.flags)).toBe(true);
  });
});

/** The guard alone (what the engine calls after inference), for the larger sets: no Grad-CAM, no decoder. */
async function guarded(pack: keyof typeof packs, files: string[]): Promise<boolean[]> {
  const out: boolean[] = [];
  const n = maxBatch(packs[pack], 8);
  for (let s = 0; s < files.length; s += n) {
    const images = await Promise.all(files.slice(s, s + n).map((f) => loadImage(f)));
    const checks = await guardImages(packs[pack], images, { cache: engine.cache });
    out.push(...checks!.map((c) => c.outOfDistribution));
  }
  return out;
}

describe.skipIf(!hasShared)('input guard on held-out and foreign data from ../shared/data (skipped: no ../shared)', () => {
  const heldout = JSON.parse(readFileSync(join(import.meta.dirname, 'heldout.json'), 'utf8')) as { 'chest-xray-nih': string[] };
  const list = (dir: string, re: RegExp, every = 1) =>
    readdirSync(dir)
      .filter((f) => re.test(f))
      .sort()
      .filter((_, i) => i % every === 0)
      .map((f) => join(dir, f));

  it('chest pack: false alarms on its 157 held-out test radiographs match the pack’s measured rate (≤ 2 %)', async () => {
    const files = heldout['chest-xray-nih'].map((f) => join(sharedData, 'chest-xray-nih', f));
    expect(files).toHaveLength(157);
    const flagged = (await guarded('chest', files)).filter(Boolean).length;
    expect(flagged).toBe(packs.chest.manifest.guard!.measured!['ownHeldOutFlagged']);
    expect(flagged / files.length).toBeLessThanOrEqual(0.02);
  }, 120_000);

  it('surface pack: false alarms on the held-out BSData test series match the measured rate (≤ 2 %)', async () => {
    const series = ['277500_315', '430000_180', '560000_000', '635000_270'];
    const cfg = readFileSync(join(repoRoot, 'training/configs/surface-pitting-ae.yaml'), 'utf8');
    for (const s of series) expect(cfg).toContain(s);
    // Every 2nd photo of the held-out series (the autoencoder's encoder is the slow part on a loaded CI box).
    const files = list(join(sharedData, 'bsdata', 'images'), new RegExp(`_(${series.join('|')})_crop`), 2);
    expect(files.length).toBeGreaterThanOrEqual(130);
    const flagged = (await guarded('surface', files)).filter(Boolean).length;
    expect(flagged / files.length).toBeLessThanOrEqual(0.02);
  }, 300_000);

  it('battery and chest packs flag PCB images; battery flags an MR DICOM series by its modality', async () => {
    const pcb = list(join(sharedData, 'deeppcb', 'group00041', '00041'), /\.jpg$/, 4);
    expect(pcb.length).toBeGreaterThan(5);
    expect(await flags('battery', pcb)).toEqual(pcb.map(() => true));
    expect(await flags('chest', pcb)).toEqual(pcb.map(() => true));
    const mr = list(join(sharedData, 'dicom', 'dwv-testdata'), /^bbmri-.*\.dcm$/);
    const rs = await engine.inspectFiles(packs.battery, mr, { method: 'none' });
    for (const r of rs) {
      expect(r.guard?.outOfDistribution).toBe(true);
      expect(r.guard!.reasons.join(' ')).toMatch(/DICOM modality/);
    }
  }, 120_000);

  it('battery pack: chest radiographs from the NIH set are flagged (every 10th of 1000)', async () => {
    const files = [...list(join(sharedData, 'chest-xray-nih', 'normal'), /\.jpg$/, 10), ...list(join(sharedData, 'chest-xray-nih', 'pneumonia'), /\.jpg$/, 10)];
    expect(files).toHaveLength(100);
    expect(await guarded('battery', files)).toEqual(files.map(() => true));
  }, 120_000);
});
