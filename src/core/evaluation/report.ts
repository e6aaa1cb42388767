/**
 * The evaluation's validation record (PDF), for a quality system to file (IQ/OQ-style): which
 * labelled set (its file-list identity), which pack files and config, the metrics with their 95 %
 * intervals, the plots, the proposed thresholds and every threshold applied from this evaluation
 * (who, when, objective), the threshold in force now, and the audit chain's state and head. Drawn
 * from the metrics blob the audited evaluation record names (so from exactly those numbers), signed
 * by an operator, and — like every export — its SHA-256 logged in the audit chain (`export.pdf`).
 */
import PDFDocument from 'pdfkit';
import { InspectorError } from '../../shared/errors';
import { readAnchor, verifyAudit, type HistoryStore } from '../history/index';
import { requireOperator, sealExport, type ExportResult } from '../reports/exportContext';
import { findReportFont, type ReportFont } from '../reports/font';
import { ExportFile } from '../reports/output';
import type { StationFacts } from '../settings/index';
import type { Interval } from './metrics/bootstrap';
import type { CaseEvaluation, PackEvaluation } from './evaluate';
import { evaluationPlots } from './output';
import { drawSvg } from './svgPdf';
import type { SideBySide } from './sideBySide';
import { getEvaluation, stationCalibration } from './validation';

export interface EvaluationReportOptions {
  out: string;
  appVersion?: string;
  station?: StationFacts | null;
  font?: ReportFont;
}

export interface EvaluationReportResult extends ExportResult {
  evaluationId: number;
  thresholdVersions: number[];
  chain: { ok: boolean; entries: number; head: { seq: number; hash: string } };
}

interface FullMetrics {
  set: { root: string; format: string; identity: string; images: number; classes: string[]; normalLabel: string };
  packs: PackEvaluation[];
  cases: CaseEvaluation | null;
  sideBySide?: SideBySide;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
const f3 = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(3));
const ci = (i: Interval | null | undefined) => (i ? ` [${i.low.toFixed(3)}, ${i.high.toFixed(3)}]` : '');
const LATIN1 = /^[\n\x20-\x7e\xa0-\xff]*$/;

export async function evaluationReport(store: HistoryStore, evaluationId: number, operatorId: string | null | undefined, opts: EvaluationReportOptions): Promise<EvaluationReportResult> {
  const operator = requireOperator(store, operatorId);
  const ev = getEvaluation(store.db, evaluationId);
  if (!ev) throw new InspectorError('EVAL_NOT_FOUND', `There is no evaluation ${evaluationId} in ${store.file}.`);
  const blob = (ev.summary as { metricsBlob?: string }).metricsBlob;
  if (!blob) throw new InspectorError('EVAL_METRICS_MISSING', `Evaluation ${evaluationId} was recorded before full metrics were kept; evaluate the set again for a report.`);
  // The blob store checks the bytes against their hash: these are the numbers the record names.
  const metrics = JSON.parse(store.blobs.get(blob).toString('utf8')) as FullMetrics;
  const versions = store.db
    .prepare(
      `SELECT t.id, t.created_at AS at, t.pack_name AS pack, t.objective, t.low, t.high, t.human_share AS share, t.operator_id AS op, o.name, o.role
       FROM threshold_versions t LEFT JOIN operators o ON o.id = t.operator_id WHERE t.evaluation_id = ? ORDER BY t.id`,
    )
    .all(evaluationId) as { id: number; at: number; pack: string; objective: string; low: number; high: number; share: number | null; op: string; name: string | null; role: string | null }[];
  const cal = stationCalibration(store.db);
  const chain = verifyAudit(store.db, readAnchor(store.file));
  const recordedBy = ev.operatorId ? store.getOperator(ev.operatorId) : null;

  const font = opts.font ?? findReportFont();
  const file = new ExportFile(opts.out);
  try {
    const doc = new PDFDocument({ size: 'A4', margins: { top: 50, bottom: 60, left: 50, right: 50 }, bufferPages: true, info: { Title: `Evaluation ${evaluationId} validation record`, Author: operator.name, Creator: `Inspector ${opts.appVersion ?? ''}`.trim() } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise<void>((res, rej) => {
      doc.on('end', () => res());
      doc.on('error', rej);
    });
    if (font.regular) doc.registerFont('cjk', font.regular.path, font.regular.face);
    // Text outside Latin-1 (Korean names, case keys) needs the CJK face; without one it shows as "?".
    const use = (s: string, bold = false) => {
      const cjk = !!font.regular && !LATIN1.test(s);
      doc.font(cjk ? 'cjk' : bold ? 'Helvetica-Bold' : 'Helvetica');
      return cjk || font.regular ? s : s.replace(/[^\n\x20-\x7e\xa0-\xff]/g, '?');
    };
    const heading = (s: string, size = 12) => {
      doc.moveDown(0.6);
      const t = use(s, true);
      doc.fontSize(size).fillColor('black').text(t).moveDown(0.2);
    };
    const line = (s: string, o: { size?: number; indent?: number; color?: string; bold?: boolean } = {}) => {
      const t = use(s, o.bold);
      doc.fontSize(o.size ?? 9).fillColor(o.color ?? 'black').text(t, { indent: o.indent ?? 0 });
    };
    const field = (label: string, value: string) => line(`${label}: ${value}`);
    const keep = (pts: number) => {
      if (doc.y + pts > doc.page.height - doc.page.margins.bottom) doc.addPage();
    };

    heading(`Evaluation validation record: evaluation ${evaluationId}`, 16);
    line(`Inspector ${opts.appVersion ?? ''}${opts.station?.id ? `  ·  station ${opts.station.id}${opts.station.line ? ` (line ${opts.station.line})` : ''}` : ''}  ·  generated ${iso(Date.now())} by ${operator.name} (${operator.id}, ${operator.role})`, { color: '#555555' });

    heading('Identity');
    field('Evaluation', `${evaluationId}, recorded ${iso(ev.createdAt)} by ${recordedBy ? `${recordedBy.name} (${recordedBy.id})` : (ev.operatorId ?? 'no operator selected')}, batch ${ev.batchId}`);
    field('Labelled set', `${metrics.set.root} (${metrics.set.format}, ${metrics.set.images} images, classes ${metrics.set.classes.join(', ')}; normal: ${metrics.set.normalLabel})`);
    field('Set identity (SHA-256 of sorted paths, file hashes, labels)', ev.setIdentity);
    const configHash = (store.db.prepare('SELECT config_hash AS h FROM evaluations WHERE id = ?').get(evaluationId) as { h: string | null }).h;
    field('Station config (inspector.yaml) SHA-256', configHash ?? 'none (packs given directly)');
    for (const p of ev.packs) field(`Pack ${p.name} ${p.version}: identity (SHA-256 of its model files' hashes)`, p.identity);
    field('Full metrics (blob SHA-256, named by the audited record)', blob);

    for (const p of metrics.packs) {
      const b = p.binary;
      keep(160);
      heading(`Metrics: ${p.pack.name} ${p.pack.version} (${p.pack.kind})`);
      line(`${p.images} images (${b.positives} defective), ${p.errors} errors; 95 % intervals: percentile bootstrap over images, seeded`);
      line(`At the threshold ${b.threshold.toPrecision(5)} (${b.scoreUnit}): F1 ${f3(b.point.f1)}${ci(b.f1Ci)}  precision ${f3(b.point.precision)}${ci(b.precisionCi)}  recall ${f3(b.point.recall)}${ci(b.recallCi)}`);
      line(`ROC-AUC ${f3(b.rocAuc)}${ci(b.rocAucCi)}  average precision ${f3(b.averagePrecision)}  accuracy ${f3(p.classification.accuracy)}${ci(p.classification.accuracyCi)}  ECE ${f3(p.calibration?.ece)}  uncertain band ${(b.uncertainShare * 100).toFixed(1)} %`);
      line(`Confusion (rows truth, columns predicted: ${p.classification.predictedClasses.join(', ')}; TP ${b.point.tp} FP ${b.point.fp} TN ${b.point.tn} FN ${b.point.fn})`);
      p.classification.classes.forEach((c, i) => line(`${c}: ${p.classification.matrix[i]!.join('  ')}`, { indent: 12 }));
      for (const c of p.classification.perClass) line(`${c.label}: precision ${f3(c.precision)}${ci(c.precisionCi)}  recall ${f3(c.recall)}${ci(c.recallCi)}  F1 ${f3(c.f1)}${ci(c.f1Ci)}  n ${c.support}`, { indent: 12 });
      if (p.localisation) line(`Localisation (COCO, 101-point): AP@0.5 ${f3(p.localisation.ap50)}  AP@[.5:.95] ${f3(p.localisation.ap)}  F1@IoU0.5 ${f3(p.localisation.f1At50)}  mean IoU ${f3(p.localisation.meanIou)}`);
      if (p.localisation && p.pack.kind === 'grounding') {
        for (const c of p.localisation.perClass) line(`${c.label}: ${c.truths} boxes, ${c.detections} kept; AP@0.5 ${f3(c.ap50)}  AP@[.5:.95] ${f3(c.ap)}  F1@IoU0.5 ${f3(c.f1At50)}  (all-point AP@0.5 ${f3(c.ap50AllPoint)})`, { indent: 12 });
      }
      if (p.pixel) line(`Pixel level: AUROC ${f3(p.pixel.pixelAuroc)}  AUPRO@0.3 ${f3(p.pixel.aupro)} (${p.pixel.images} maps)`);
      if (p.maps) line(`Maps: pointing game ${f3(p.maps.pointingGame)}${ci(p.maps.pointingGameCi)}  energy in mask ${f3(p.maps.energyInMask)}${ci(p.maps.energyInMaskCi)}`);
      line('Proposed thresholds (score ≥ threshold is a defect):', { bold: true });
      for (const q of p.proposals) line(`${q.objective}: ${q.point.threshold.toPrecision(5)}  F1 ${f3(q.point.f1)}  recall ${f3(q.point.recall)}  false alarms ${f3(q.point.falseAlarmRate)}${q.note ? `  (${q.note})` : ''}`, { indent: 12 });
      if (p.band) line(`uncertain band: T1 ${p.band.low.toPrecision(5)} … T2 ${p.band.high.toPrecision(5)}, ${(p.band.humanShare * 100).toFixed(1)} % of images to a person`, { indent: 12 });
    }
    if (metrics.cases) {
      const c = metrics.cases;
      keep(80);
      heading('Integrated verdict per case');
      line(`${c.cases} cases, accuracy ${f3(c.accuracy)}${ci(c.accuracyCi)}, defective cases flagged ${f3(c.defectRecall)}, false pass ${f3(c.falsePassRate)}, false alarm ${f3(c.falseAlarmRate)}`);
      c.classes.forEach((k, i) => line(`${k}: ${c.matrix[i]!.join('  ')}  (columns: ${c.predictedClasses.join(', ')})`, { indent: 12 }));
    }

    if (metrics.sideBySide) {
      keep(90);
      heading('Side by side (same set; case level on the same cases)');
      for (const r of metrics.sideBySide.systems) {
        line(`${r.system} (${r.kind}), ${r.images} ${r.f1 === null ? 'cases' : 'images'}: ${r.f1 === null ? '' : `F1 ${f3(r.f1)}${ci(r.f1Ci)}  ROC-AUC ${f3(r.rocAuc)}${ci(r.rocAucCi)}  `}${r.ap50 === null || r.ap50 === undefined ? '' : `box AP@0.5 ${f3(r.ap50)}  AP@[.5:.95] ${f3(r.ap)}  F1@IoU0.5 ${f3(r.f1At50)}  `}case recall ${f3(r.caseRecall)}  case false alarm ${f3(r.caseFalseAlarm)}  case accuracy ${f3(r.caseAccuracy)}`, { indent: 12 });
      }
      for (const a of metrics.sideBySide.agreement) line(`${a.a} vs ${a.b}: ${a.images ? `${a.images} common images, same call ${f3(a.decisionAgreement)}, mean region IoU ${f3(a.meanIou)}` : 'no image inspected by both'}`, { indent: 12 });
    }

    keep(90);
    heading('Thresholds applied from this evaluation');
    if (!versions.length) line('None applied yet (inspector threshold apply --evaluation ' + evaluationId + ').');
    for (const v of versions) {
      line(`Threshold version ${v.id}, ${v.pack}: ${v.low === v.high ? `threshold ${v.high.toPrecision(5)}` : `band T1 ${v.low.toPrecision(5)} … T2 ${v.high.toPrecision(5)}${v.share !== null ? ` (${(v.share * 100).toFixed(1)} % to a person)` : ''}`} by ${v.objective}; applied ${iso(v.at)} by ${v.name ?? v.op} (${v.op}${v.role ? `, ${v.role}` : ''})`);
    }
    for (const p of ev.packs) {
      const now = cal.applied[p.identity];
      line(`In force now for ${p.name} (${p.identity.slice(0, 12)}): ${now ? `threshold version ${now.id} (${now.objective}, evaluation ${now.evaluationId}, by ${now.operatorId})` : "pack.yaml's thresholds (no version applied)"}`);
    }

    doc.addPage();
    heading('Plots');
    const plots = evaluationPlots(metrics);
    const colW = (doc.page.width - doc.page.margins.left - doc.page.margins.right - 20) / 2;
    let col = 0;
    let rowTop = doc.y;
    let rowH = 0;
    for (const plot of plots) {
      const h = (colW * 300) / 360;
      if (col === 0 && rowTop + h > doc.page.height - doc.page.margins.bottom) {
        doc.addPage();
        rowTop = doc.y;
      }
      const x = doc.page.margins.left + col * (colW + 20);
      rowH = Math.max(rowH, drawSvg(doc, plot.svg, x, rowTop, colW, (s) => use(s)));
      col = (col + 1) % 2;
      if (col === 0) {
        rowTop += rowH + 12;
        rowH = 0;
      }
    }
    doc.x = doc.page.margins.left;
    doc.y = col === 0 ? rowTop : rowTop + rowH + 12;

    keep(110);
    heading('Audit chain');
    line(chain.ok ? `Verifies: ${chain.entries} entries.` : `BROKEN at entry #${chain.firstBreak?.seq}: ${chain.firstBreak?.code}.`, { color: chain.ok ? '#1b6e20' : '#b00020', bold: true });
    field('Head', `entry #${chain.head.seq}, SHA-256 ${chain.head.hash}`);
    line("This report's own SHA-256 is recorded as the next audit entry (export.pdf).", { color: '#555555' });
    doc.moveDown(1.2);
    line('Reviewed and approved by: ______________________   Role: ____________   Date: ____________', { size: 10 });

    const range = doc.bufferedPageRange();
    for (let i = range.start; i < range.start + range.count; i++) {
      doc.switchToPage(i);
      const bottom = doc.page.margins.bottom;
      doc.page.margins.bottom = 0;
      doc.font('Helvetica').fontSize(7.5).fillColor('#555555').text(`Inspector evaluation ${evaluationId} validation record  ·  set ${ev.setIdentity.slice(0, 12)}  ·  page ${i + 1} of ${range.count}`, doc.page.margins.left, doc.page.height - 40, { width: doc.page.width - doc.page.margins.left - doc.page.margins.right, align: 'center', lineBreak: false });
      doc.page.margins.bottom = bottom;
    }
    doc.end();
    await done;
    file.write(Buffer.concat(chunks));
  } catch (e) {
    file.abort();
    throw e;
  }
  const sealed = sealExport(store, file, 'pdf', operator, 0);
  return { ...sealed, evaluationId, thresholdVersions: versions.map((v) => v.id), chain: { ok: chain.ok, entries: chain.entries, head: chain.head } };
}
