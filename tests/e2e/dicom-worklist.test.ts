/**
 * The radiographer's path in real Chromium with the real handlers: the host starts the DICOM
 * listener from settings.yaml (as the desktop app's main does), dcmtk's `storescu` pushes the
 * shared tilted GE CT head series to it by C-STORE, the worklist room lists the study, opening it
 * shows the series; the series strip's slice scrollbar moves through the slices, the tag browser
 * finds a tag and marks private ones, an ellipse ROI reads mean/SD in HU equal to pydicom's on the
 * same pixels, and a length reads its mm from Pixel Spacing (read by pydicom too).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBridge, type Bridge } from '../support/bridge';
import { hasShared, repoRoot, sharedData } from '../support/paths';
import { buildResults } from '../../src/core/dicomnet/results';
import { dcmjs } from '../../src/core/dicomnet/dimse';
import { writeTinySc } from '../integration/dicomnet/tiny';
import { viewOf, waitAttr } from './viewer-helpers';

const hasDcmtk = spawnSync('sh', ['-c', 'command -v storescu'], { encoding: 'utf8' }).status === 0;
const hasDciodvfy = spawnSync('sh', ['-c', 'command -v dciodvfy'], { encoding: 'utf8' }).status === 0;
function dciodvfy(path: string): { errors: string[]; output: string } {
  const r = spawnSync('dciodvfy', [path], { encoding: 'utf8' });
  const output = `${r.stdout}${r.stderr}`;
  return { errors: output.split('\n').filter((l) => /^Error/.test(l)), output };
}
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const SERIES = join(sharedData, 'dicom', 'ct-series-ge-head-tilted');
const PYTHON = '/usr/bin/python3';
const hasPydicom = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import pydicom, numpy'], { encoding: 'utf8' }).status === 0;
const FILES = Array.from({ length: 28 }, (_, i) => join(SERIES, `${String(i + 1).padStart(2, '0')}.dcm`));

if (!hasShared || !hasDcmtk || !hasPydicom) console.warn('dicom-worklist E2E skipped: needs ../shared/data, dcmtk (storescu) and /usr/bin/python3 with pydicom');

/** pydicom's numbers for the pixels whose centres lie in the ellipse inscribed in (a, b), padding excluded, and the spacing. */
function pydicomReference(file: string, a: { x: number; y: number }, b: { x: number; y: number }) {
  const script = `
import json, sys, numpy as np, pydicom
ds = pydicom.dcmread(sys.argv[1])
ax, ay, bx, by = map(float, sys.argv[2:6])
stored = ds.pixel_array.astype(np.float64)
hu = stored * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
x0, x1, y0, y1 = min(ax, bx), max(ax, bx), min(ay, by), max(ay, by)
cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
yy, xx = np.mgrid[0:stored.shape[0], 0:stored.shape[1]]
inside = ((xx + 0.5 - cx) / rx) ** 2 + ((yy + 0.5 - cy) / ry) ** 2 <= 1
if 'PixelPaddingValue' in ds:
    inside &= stored != float(ds.PixelPaddingValue)
v = hu[inside]
print(json.dumps({"n": int(v.size), "mean": float(v.mean()), "sd": float(v.std()), "min": float(v.min()), "max": float(v.max()),
  "spacing": [float(s) for s in ds.PixelSpacing], "instance": int(ds.InstanceNumber), "sliceThickness": str(ds.SliceThickness)}))
`;
  const r = spawnSync(PYTHON, ['-c', script, file, String(a.x), String(a.y), String(b.x), String(b.y)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pydicom reference failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { n: number; mean: number; sd: number; min: number; max: number; spacing: [number, number]; instance: number; sliceThickness: string };
}

describe.skipIf(!hasShared || !hasDcmtk || !hasPydicom)('DICOM worklist → viewer (listener started by the host, storescu C-STORE, Chromium)', () => {
  let b: Bridge;
  let port: number;
  const userDataDir = mkdtempSync(join(os.tmpdir(), 'inspector-e2e-worklist-'));

  beforeAll(async () => {
    port = await freePort();
    writeFileSync(
      join(userDataDir, 'dicom.yaml'),
      ['ae_title: INSPECTOR', `port: ${port}`, 'allow: [{ aet: MODALITY1, host: 127.0.0.1 }]', 'stable_seconds: 1'].join('\n'),
    );
    writeFileSync(join(userDataDir, 'settings.yaml'), 'dicom:\n  config: dicom.yaml\n');
    b = await openBridge({ userDataDir });
  }, 120_000);
  /** The study's series as the host groups it (the same call the UI made), with its files in slice order. */
  const shownSeries = async () => {
    const { studies } = await b.host.handlers['dicom.worklist']({});
    const { series } = await b.host.handlers['dicom.openStudy']({ studyInstanceUid: studies[0]!.studyInstanceUid });
    return (await b.host.handlers['images.openSeries']({ dir: series[0]!.folder })).series[0]!;
  };
  /** No operator exists in this fresh history: the profile chooser opens over the page; "Later" closes it for the screenshots. */
  const dismissOperatorChooser = async () => {
    const later = b.page.getByTestId('operator-later');
    if (await later.isVisible()) await later.click();
  };
  afterAll(async () => {
    await b?.close();
    rmSync(userDataDir, { recursive: true, force: true });
  });

  it('the host starts the listener from settings; a study pushed by storescu appears in the worklist with patient, date, modality, description and AI status', async () => {
    // What main does on start (src/main/index.ts): the same service, the same core node.
    const status = await b.host.dicom.startFromSettings();
    expect(status).toMatchObject({ state: 'listening', aeTitle: 'INSPECTOR', bind: '127.0.0.1', port });
    await b.page.getByTestId('view-worklist').click();
    await b.page.getByTestId('worklist-empty').waitFor();
    expect(await b.page.getByTestId('node-state').getAttribute('data-state')).toBe('listening');

    // A peer not on the allow-list is refused; nothing reaches the worklist.
    // The listener runs in this process (the host's): storescu must not block its event loop.
    const refused = await storescu(['-aet', 'STRANGER', '-aec', 'INSPECTOR', '127.0.0.1', String(port), FILES[0]!]);
    expect(refused.status).not.toBe(0);
    expect(refused.output).toMatch(/Association Rejected|calling AE title not recognized/i);
    const sent = await storescu(['-aet', 'MODALITY1', '-aec', 'INSPECTOR', '127.0.0.1', String(port), ...FILES]);
    expect(sent.status, sent.output).toBe(0);

    await b.page.getByTestId('worklist-refresh').click();
    const row = b.page.getByTestId('worklist-row');
    await row.waitFor({ timeout: 30_000 });
    expect(await row.count()).toBe(1);
    const header = pydicomHeader(FILES[0]!);
    const cells = (await row.locator('th, td').allInnerTexts()).map((t) => t.trim());
    expect(cells[0]).toContain(`ID ${header.patientId}`);
    // The shared series is anonymised without a Study Date: the column shows what the file has.
    expect(cells[1]).toBe(header.studyDate ? `${header.studyDate.slice(0, 4)}-${header.studyDate.slice(4, 6)}-${header.studyDate.slice(6)}` : '');
    expect(cells[2]).toBe('CT');
    expect(cells[3]).toBe(header.studyDescription);
    expect(cells[4]).toBe('1 / 28');
    expect(cells[5]).toBe('MODALITY1');
    // No auto_inspect rule for CT: the AI has not run on it (and says so in words, not colour only).
    await waitAttr(b, 'worklist-row', 'data-ai', /^not-run$/, 15_000);
    expect(await b.page.getByTestId('worklist-ai').innerText()).toContain('not run');
    expect(await row.getAttribute('data-study')).toBe(header.studyUid);
    await dismissOperatorChooser();
    await b.screenshot('dicom-worklist');
  }, 180_000);

  it('opening the study shows its series; the strip has its thumbnail and the slice scrollbar moves through the 28 slices', async () => {
    await b.page.getByTestId('worklist-open').click();
    await b.page.getByTestId('case-0').filter({ hasText: '(28)' }).waitFor({ timeout: 60_000 });
    await waitAttr(b, 'viewer-pane-0', 'data-view', /"frame":0/);
    await b.page.evaluate(() => (globalThis as unknown as { __inspector: { ready(): Promise<void> } }).__inspector.ready());
    // Titled by the study, not by a folder UID.
    expect(await b.page.getByTestId('case-0').innerText()).toContain('HEAD');
    const thumb = b.page.getByTestId('series-thumb');
    expect(await thumb.count()).toBe(1);
    expect(await thumb.getAttribute('data-frames')).toBe('28');
    // The thumbnail is the windowed middle slice, not an empty canvas.
    await expect.poll(() => thumb.locator('canvas').evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const greys = new Set<number>();
      for (let i = 0; i < d.length; i += 4) greys.add(d[i]!);
      return greys.size;
    }), { timeout: 15_000 }).toBeGreaterThan(20);
    const scroll = b.page.getByTestId('slice-scroll');
    await scroll.fill('10');
    await waitAttr(b, 'viewer-pane-0', 'data-view', /"frame":9/);
    const bl = await b.page.getByTestId('corner-bottomLeft-0').locator('div').first().innerText();
    const series = await shownSeries();
    const tenth = pydicomHeader(series.files[9]!);
    expect(bl.trim()).toBe(`Im 10/28 (#${tenth.instance})`);
    // The wheel and the scrollbar agree: one slice on, the scrollbar follows.
    await b.page.getByTestId('viewer-pane-0').focus();
    await b.page.keyboard.press('ArrowDown');
    await waitAttr(b, 'viewer-pane-0', 'data-view', /"frame":10/);
    expect(await scroll.inputValue()).toBe('11');
    await scroll.fill('10');
    await waitAttr(b, 'viewer-pane-0', 'data-view', /"frame":9/);
  }, 120_000);

  it('the tag browser lists the shown slice\'s header, finds a tag by name, marks private tags and never dumps pixel data', async () => {
    await b.page.getByTestId('tags-open').click();
    const browser = b.page.getByTestId('tag-browser');
    await browser.getByTestId('tag-row').first().waitFor({ timeout: 15_000 });
    const series = await shownSeries();
    const tenth = pydicomHeader(series.files[9]!);
    await browser.getByTestId('tags-search').fill('InstanceNumber');
    const hit = browser.locator('[data-testid="tag-row"][data-tag="(0020,0013)"]');
    await hit.waitFor();
    expect((await hit.locator('td').allInnerTexts()).map((t) => t.trim())).toEqual(['(0020,0013)', 'IS', 'InstanceNumber', String(tenth.instance)]);
    // By number too; the GE private creator and its elements are marked private.
    await browser.getByTestId('tags-search').fill('0019');
    const priv = browser.locator('[data-testid="tag-row"][data-private="true"]');
    expect(await priv.count()).toBeGreaterThan(5);
    expect(await browser.locator('[data-testid="tag-row"][data-tag="(0019,0010)"]').innerText()).toContain('GEMS_ACQU_01');
    await browser.getByTestId('tags-search').fill('7FE0');
    const pixel = browser.locator('[data-testid="tag-row"][data-tag="(7FE0,0010)"]');
    expect((await pixel.locator('td').last().innerText()).trim()).toBe(`<${512 * 512 * 2} bytes>`);
    await browser.getByTestId('tags-search').fill('InstanceNumber');
    await dismissOperatorChooser();
    await b.screenshot('dicom-tag-browser');
    await browser.getByTestId('tags-close').click();
    await browser.waitFor({ state: 'detached' });
  });

  it('an ellipse ROI reads mean/SD/min/max in HU equal to pydicom on the same pixels, and a length its mm', async () => {
    const series = await shownSeries();
    const file = series.files[9]!;
    const v = await viewOf(b);
    expect(v.frame).toBe(9);
    const box = (await b.page.getByTestId('viewer-pane-0').boundingBox())!;
    const at = (ix: number, iy: number) => ({ x: box.x + v.x + ix * v.scale, y: box.y + v.y + iy * v.scale });
    const drag = async (p: { x: number; y: number }, q: { x: number; y: number }) => {
      await b.page.mouse.move(p.x, p.y);
      await b.page.mouse.down();
      await b.page.mouse.move(q.x, q.y, { steps: 8 });
      await b.page.mouse.up();
    };
    await b.page.getByTestId('tool-ellipse').click();
    await drag(at(170, 330), at(250, 390));
    const item = b.page.getByTestId('measurement-ellipse');
    await item.waitFor();
    const [p, q] = JSON.parse((await item.getAttribute('data-points'))!) as { x: number; y: number }[];
    const ref = pydicomReference(file, p!, q!);
    const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));
    const text = await item.innerText();
    expect(text).toContain(`Mean ${fmt(ref.mean)} HU SD ${ref.sd.toFixed(1)}`);
    expect(text).toContain(`Min ${fmt(ref.min)} Max ${fmt(ref.max)}`);
    // Area of the ellipse itself (π·rx·ry in mm²), not of its bounding box.
    const area = Math.PI * (Math.abs(q!.x - p!.x) / 2) * (Math.abs(q!.y - p!.y) / 2) * ref.spacing[0] * ref.spacing[1];
    expect(text).toContain(`Area ${area.toFixed(1)} mm²`);
    // An ellipse of ~80×60 px holds ~3770 pixel centres: far fewer than its 4800-px box.
    expect(ref.n).toBeGreaterThan(3500);
    expect(ref.n).toBeLessThan(4000);

    await b.page.getByTestId('tool-length').click();
    await drag(at(100, 256), at(400, 300));
    const len = b.page.getByTestId('measurement-length');
    await len.waitFor();
    const [a, c] = JSON.parse((await len.getAttribute('data-points'))!) as { x: number; y: number }[];
    // PixelSpacing is row spacing (along y), then column spacing (along x).
    const mm = Math.hypot((c!.x - a!.x) * ref.spacing[1], (c!.y - a!.y) * ref.spacing[0]);
    expect(await len.innerText()).toBe(`${mm.toFixed(1)} mm`);
    expect(mm).toBeGreaterThan(140);
    await dismissOperatorChooser();
    await b.screenshot('dicom-ellipse-length');
  });
});

function storescu(args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('storescu', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d: Buffer) => (output += d.toString()));
    p.stderr.on('data', (d: Buffer) => (output += d.toString()));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, output }));
  });
}

function pydicomHeader(file: string): { patientId: string; studyDate: string; studyDescription: string; studyUid: string; instance: number } {
  const r = spawnSync(
    PYTHON,
    ['-c', 'import json,sys,pydicom; d=pydicom.dcmread(sys.argv[1], stop_before_pixels=True); print(json.dumps({"patientId": str(d.PatientID), "studyDate": str(d.StudyDate), "studyDescription": str(d.StudyDescription), "studyUid": str(d.StudyInstanceUID), "instance": int(d.InstanceNumber)}))', file],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as ReturnType<typeof pydicomHeader>;
}

const CR = join(repoRoot, 'resources', 'samples', 'chest-xray-pneumonia', 'dicom', 'RG1_J2KI.dcm');

describe.skipIf(!hasDcmtk)('DICOM worklist: an auto-inspected study, reviewed with a measurement, into the SR (Chromium)', () => {
  let b: Bridge;
  let port: number;
  const userDataDir = mkdtempSync(join(os.tmpdir(), 'inspector-e2e-worklist-cr-'));

  beforeAll(async () => {
    port = await freePort();
    writeFileSync(
      join(userDataDir, 'dicom.yaml'),
      ['ae_title: INSPECTOR', `port: ${port}`, 'allow: [{ aet: MODALITY1, host: 127.0.0.1 }]', 'auto_inspect:', '  - when: { modality: CR }', '    pack: chest-xray-pneumonia', 'stable_seconds: 1'].join('\n'),
    );
    writeFileSync(join(userDataDir, 'settings.yaml'), 'dicom:\n  config: dicom.yaml\n');
    b = await openBridge({ userDataDir });
    await b.host.handlers['operator.create']({ id: 'lee.rt', name: 'Lee Radiographer', role: 'reviewer' });
    await b.host.handlers['operator.select']({ id: 'lee.rt' });
    await b.page.reload();
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    rmSync(userDataDir, { recursive: true, force: true });
  });

  it('the AI status follows the auto-inspection; the study opens with its run; a length is saved with the decision, lands in the VERIFIED SR and comes back on reopening', async () => {
    expect((await b.host.dicom.startFromSettings()).state).toBe('listening');
    await b.page.getByTestId('view-worklist').click();
    const sent = await storescu(['-aet', 'MODALITY1', '-aec', 'INSPECTOR', '-xw', '127.0.0.1', String(port), CR]);
    expect(sent.status, sent.output).toBe(0);
    // Inspected by the chest pack through the same batch code as the CLI; the room polls.
    await waitAttr(b, 'worklist-row', 'data-ai', /^(findings|no-findings)$/, 120_000);
    const { studies } = await b.host.handlers['dicom.worklist']({});
    const run = b.host.history.get().db.prepare('SELECT id, verdict, score, threshold, thresholds FROM inference_runs WHERE batch_id = ?').get(studies[0]!.batchId) as { id: number; verdict: string; score: number; threshold: number; thresholds: string };
    // Findings from the pack's uncertain band's lower edge up (a near-tie needs the reader).
    const low = (JSON.parse(run.thresholds) as { low?: number }).low ?? run.threshold;
    expect(await b.page.getByTestId('worklist-row').getAttribute('data-ai')).toBe(run.verdict === 'uncertain' || run.score >= low ? 'findings' : 'no-findings');
    await b.screenshot('dicom-worklist-cr-inspected');

    await b.page.getByTestId('worklist-open').click();
    await waitAttr(b, 'viewer-pane-0', 'data-view', /"frame":0/, 60_000);
    await b.page.evaluate(() => (globalThis as unknown as { __inspector: { ready(): Promise<void> } }).__inspector.ready());
    const v = await viewOf(b);
    const box = (await b.page.getByTestId('viewer-pane-0').boundingBox())!;
    const at = (ix: number, iy: number) => ({ x: box.x + v.x + ix * v.scale, y: box.y + v.y + iy * v.scale });
    await b.page.getByTestId('tool-length').click();
    const p = at(500, 800);
    const q = at(1300, 900);
    await b.page.mouse.move(p.x, p.y);
    await b.page.mouse.down();
    await b.page.mouse.move(q.x, q.y, { steps: 8 });
    await b.page.mouse.up();
    const len = b.page.getByTestId('measurement-length');
    await len.waitFor();
    const shown = await len.innerText();
    await b.page.getByTestId('review-accept').click();
    await b.page.getByTestId('save-state').filter({ hasText: /Saved/ }).waitFor();

    const detail = await b.host.handlers['history.run']({ runId: run.id });
    const review = detail.reviews.at(-1)!;
    expect(review).toMatchObject({ decision: 'accept', operatorId: 'lee.rt' });
    expect(review.measurements).toHaveLength(1);
    const m = review.measurements![0]!;
    expect(m.kind).toBe('length');
    expect(`${m.value['length']!.toFixed(1)} ${m.unit}`).toBe(shown);
    expect(m.source?.sopInstanceUid).toBe('1.3.6.1.4.1.5962.1.1.9.1.3.20040826185059.5457');
    const audit = b.host.history.get().db.prepare(`SELECT count(*) FROM audit_log WHERE entity = 'measurement' AND actor = 'lee.rt'`).pluck().get();
    expect(audit).toBe(1);
    expect((await b.host.handlers['audit.verify']({})).ok).toBe(true);

    // The reviewed SR the node sends for this run: VERIFIED, with the decision and the length.
    const [sr] = await buildResults(b.host.history.get(), run.id, ['sr'], { uidRoot: '2.25', softwareVersion: '0.0.0-test', outDir: join(userDataDir, 'sr') });
    if (hasDciodvfy) {
      const check = dciodvfy(sr!.path);
      expect(check.errors, check.output).toEqual([]);
    }
    const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(new Uint8Array(readFileSync(sr!.path)).buffer).dict) as Record<string, unknown>;
    expect(ds['VerificationFlag']).toBe('VERIFIED');
    const text = JSON.stringify(ds);
    expect(text).toContain('"410668003"');
    expect(text).toContain(`"NumericValue":${Number(m.value['length']!.toPrecision(6))}`);
    await b.screenshot('dicom-worklist-cr-reviewed');

    // A fresh renderer (the app restarted): opening the study again brings the recorded decision and length back.
    const drawn = await len.getAttribute('data-points');
    await b.page.reload();
    await b.page.getByTestId('view-worklist').click();
    await b.page.getByTestId('worklist-open').click();
    const again = b.page.getByTestId('measurement-length');
    await again.waitFor({ timeout: 60_000 });
    expect(await again.innerText()).toBe(shown);
    const [r0, r1] = JSON.parse((await again.getAttribute('data-points'))!) as { x: number; y: number }[];
    const [d0, d1] = JSON.parse(drawn!) as { x: number; y: number }[];
    expect([r0!.x, r0!.y, r1!.x, r1!.y]).toEqual([d0!.x, d0!.y, d1!.x, d1!.y]);
    expect(await b.page.getByTestId('review-accept').getAttribute('aria-pressed')).toBe('true');
  }, 240_000);
});

/** A valid one-instance Secondary Capture study (4×4 pixels) with the worklist's identity fields. */
function scStudy(dir: string, i: number, id: { patientName: string; patientId: string; studyDate: string; modality: string; description: string; accession: string }): { uid: string; file: string } {
  const file = join(dir, `sc-${i}.dcm`);
  const identity = { PatientID: id.patientId, PatientName: id.patientName, StudyDate: id.studyDate, StudyDescription: id.description, AccessionNumber: id.accession, Modality: id.modality };
  return { uid: writeTinySc(file, '2.25.90817', i, identity, i * 40), file };
}

/** The local calendar day `daysAgo` before now as DICOM DA (the site's day, as the filter reads it). */
function da(daysAgo: number): string {
  const d = new Date(Date.now() - daysAgo * 86_400_000);
  return `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;
}

describe.skipIf(!hasDcmtk)('DICOM worklist: sort by column, filter by text / modality / AI status / date, clear (Chromium)', () => {
  let b: Bridge;
  let port: number;
  const userDataDir = mkdtempSync(join(os.tmpdir(), 'inspector-e2e-worklist-sort-'));
  const files = mkdtempSync(join(os.tmpdir(), 'inspector-e2e-worklist-sc-'));
  // Four studies pushed by the modality, and the chest CR the node auto-inspects (its AI status differs).
  const A = scStudy(files, 1, { patientName: 'Zeta^Anna', patientId: 'P-003', studyDate: da(0), modality: 'OT', description: 'KNEE LEFT', accession: 'ACC-300' });
  const B = scStudy(files, 2, { patientName: 'Alpha^Ben', patientId: 'P-001', studyDate: '20240315', modality: 'MR', description: 'HEAD ROUTINE', accession: 'ACC-100' });
  const C = scStudy(files, 3, { patientName: 'Mid^Cara', patientId: 'P-002', studyDate: da(3), modality: 'OT', description: 'CHEST PA', accession: 'ACC-200' });
  const D = scStudy(files, 4, { patientName: 'Beta^Dan', patientId: 'P-004', studyDate: '', modality: 'OT', description: 'HAND', accession: 'ACC-400' });
  // RG1_J2KI.dcm: CompressedSamples^RG1, 9RG1, 2004-08-26, CR, THORAX.
  const E = { uid: '1.3.6.1.4.1.5962.1.2.9.20040826185059.5457', file: CR };

  beforeAll(async () => {
    port = await freePort();
    writeFileSync(
      join(userDataDir, 'dicom.yaml'),
      ['ae_title: INSPECTOR', `port: ${port}`, 'allow: [{ aet: MODALITY1, host: 127.0.0.1 }]', 'auto_inspect:', '  - when: { modality: CR }', '    pack: chest-xray-pneumonia', 'stable_seconds: 1'].join('\n'),
    );
    writeFileSync(join(userDataDir, 'settings.yaml'), 'dicom:\n  config: dicom.yaml\n');
    b = await openBridge({ userDataDir });
  }, 120_000);
  afterAll(async () => {
    await b?.close();
    rmSync(userDataDir, { recursive: true, force: true });
    rmSync(files, { recursive: true, force: true });
  });

  const rows = () => b.page.locator('[data-testid="worklist-row"]').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset['study']));
  const count = async () => ({ shown: await b.page.getByTestId('worklist-count').getAttribute('data-shown'), total: await b.page.getByTestId('worklist-count').getAttribute('data-total'), text: await b.page.getByTestId('worklist-count').innerText() });

  it('five studies arrive; a column header sorts them (aria-sort, asc then desc), by patient and by study date with the undated study last', async () => {
    expect((await b.host.dicom.startFromSettings()).state).toBe('listening');
    await b.page.getByTestId('view-worklist').click();
    const later = b.page.getByTestId('operator-later');
    if (await later.isVisible()) await later.click();
    const sent = await storescu(['-aet', 'MODALITY1', '-aec', 'INSPECTOR', '-xw', '127.0.0.1', String(port), A.file, B.file, C.file, D.file, E.file]);
    expect(sent.status, sent.output).toBe(0);
    await expect.poll(async () => (await rows()).length, { timeout: 30_000 }).toBe(5);
    // The CR is auto-inspected (chest pack); the room polls.
    await expect.poll(() => b.page.locator(`[data-testid="worklist-row"][data-study="${E.uid}"]`).getAttribute('data-ai'), { timeout: 120_000 }).toMatch(/^(findings|no-findings)$/);
    expect(await count()).toEqual({ shown: '5', total: '5', text: '5 of 5 studies' });

    const patient = b.page.getByTestId('sort-patient');
    expect(await patient.getAttribute('aria-sort')).toBe('none');
    await patient.getByRole('button').click();
    expect(await patient.getAttribute('aria-sort')).toBe('ascending');
    // Alpha, Beta, CompressedSamples, Mid, Zeta.
    expect(await rows()).toEqual([B.uid, D.uid, E.uid, C.uid, A.uid]);
    await patient.getByRole('button').click();
    expect(await patient.getAttribute('aria-sort')).toBe('descending');
    expect(await rows()).toEqual([A.uid, C.uid, E.uid, D.uid, B.uid]);

    const date = b.page.getByTestId('sort-date');
    await date.getByRole('button').click();
    expect(await date.getAttribute('aria-sort')).toBe('ascending');
    expect(await patient.getAttribute('aria-sort')).toBe('none');
    // 2004 (the CR), 2024, three days ago, today; the study without a date last.
    expect(await rows()).toEqual([E.uid, B.uid, C.uid, A.uid, D.uid]);
    await date.getByRole('button').click();
    expect(await rows()).toEqual([A.uid, C.uid, B.uid, E.uid, D.uid]);
    // The room's poll re-renders the rows; the order holds.
    await b.page.waitForTimeout(3500);
    expect(await rows()).toEqual([A.uid, C.uid, B.uid, E.uid, D.uid]);
  }, 240_000);

  it('the text, modality, AI status and date filters narrow the rows and combine; "No studies match" offers Clear, which restores them all', async () => {
    const text = b.page.getByTestId('worklist-filter-text');
    await text.fill('acc-200');
    await expect.poll(rows).toEqual([C.uid]);
    expect(await count()).toEqual({ shown: '1', total: '5', text: '1 of 5 studies' });
    await text.fill('head');
    await expect.poll(rows).toEqual([B.uid]);
    await text.fill('zeta, anna');
    await expect.poll(rows).toEqual([A.uid]);
    await text.fill('');
    await expect.poll(async () => (await rows()).length).toBe(5);

    const modality = b.page.getByTestId('worklist-filter-modality');
    expect(await modality.locator('option').allInnerTexts()).toEqual(['All', 'CR', 'MR', 'OT']);
    await modality.selectOption('OT');
    // Still sorted by date, newest first; the undated one last.
    await expect.poll(rows).toEqual([A.uid, C.uid, D.uid]);
    await modality.selectOption('MR');
    await expect.poll(rows).toEqual([B.uid]);
    await modality.selectOption('');

    const ai = b.page.getByTestId('worklist-filter-ai');
    const crStatus = (await b.page.locator(`[data-testid="worklist-row"][data-study="${E.uid}"]`).getAttribute('data-ai'))!;
    const { studies } = await b.host.handlers['dicom.worklist']({});
    expect(studies.find((s) => s.studyInstanceUid === E.uid)!.aiStatus).toBe(crStatus);
    await ai.selectOption(crStatus);
    await expect.poll(rows).toEqual([E.uid]);
    await ai.selectOption('not-run');
    await expect.poll(rows).toEqual([A.uid, C.uid, B.uid, D.uid]);
    await ai.selectOption('all');

    const dates = b.page.getByTestId('worklist-filter-date');
    await dates.selectOption('today');
    await expect.poll(rows).toEqual([A.uid]);
    await dates.selectOption('week');
    await expect.poll(rows).toEqual([A.uid, C.uid]);
    // AND: OT in the last 7 days, with a word only Cara's study has.
    await modality.selectOption('OT');
    await text.fill('chest');
    await expect.poll(rows).toEqual([C.uid]);
    await b.page.screenshot({ path: '/tmp/worklist.png' });
    await b.screenshot('dicom-worklist-filtered');

    await text.fill('nobody-here');
    await b.page.getByTestId('worklist-no-match').waitFor();
    expect(await b.page.getByTestId('worklist-no-match').innerText()).toContain('No studies match the filter.');
    expect(await count()).toEqual({ shown: '0', total: '5', text: '0 of 5 studies' });
    await b.page.getByTestId('worklist-no-match-clear').click();
    await expect.poll(rows).toEqual([A.uid, C.uid, B.uid, E.uid, D.uid]);
    expect(await text.inputValue()).toBe('');
    expect(await modality.inputValue()).toBe('');
    expect(await ai.inputValue()).toBe('all');
    expect(await dates.inputValue()).toBe('all');
    expect(await b.page.getByTestId('worklist-filter-clear').count()).toBe(0);
    expect(await count()).toEqual({ shown: '5', total: '5', text: '5 of 5 studies' });
  }, 120_000);
});
