/**
 * `evaluate --out DIR`: metrics.json (everything, curves included), predictions.csv (one row per
 * image and pack: path, label = the truth, predicted, score_<class> per class) and SVG plots per
 * pack (ROC, PR, confusion matrix, score histograms with the threshold line, reliability); with a
 * grounding detector also detections.json (its boxes, COCO results format).
 * Written to temporary names and renamed, so a reader never sees half a file.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaseEvaluation, PackEvaluation, Prediction } from './evaluate';

function atomicWrite(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

const csvCell = (v: string | number) => {
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v;
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function predictionsCsv(preds: readonly Prediction[]): string {
  const classes = [...new Set(preds.flatMap((p) => Object.keys(p.scores)))];
  const multi = new Set(preds.map((p) => p.pack)).size > 1;
  const header = ['path', 'label', 'predicted', ...classes.map((c) => `score_${c}`), 'defect_score', ...(multi ? ['pack'] : [])];
  const rows = preds.map((p) => [p.path, p.label, p.predicted, ...classes.map((c) => p.scores[c] ?? NaN), p.defectScore, ...(multi ? [p.pack] : [])].map(csvCell).join(','));
  return [header.join(','), ...rows].join('\n') + '\n';
}

/**
 * A grounding detector's boxes, one entry per box as COCO's results format lists them (image,
 * category name, bbox [x, y, w, h] in image pixels, score), so AP can be recomputed from the set's
 * own annotations by another tool (tests/unit/evaluation/reference.py does). Null without a detector.
 */
export function detectionsJson(preds: readonly Prediction[]): string | null {
  const rows = preds.filter((p) => p.boxes).flatMap((p) => p.boxes!.map((b) => ({ pack: p.pack, image: p.path, category: b.label, bbox: b.box, score: b.score })));
  return preds.some((p) => p.boxes) ? JSON.stringify(rows) + '\n' : null;
}

const W = 360;
const H = 300;
const M = 40;
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function frame(title: string, body: string, xLabel: string, yLabel: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">
<rect width="${W}" height="${H}" fill="white"/><text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>
<rect x="${M}" y="${M - 14}" width="${W - 2 * M + 20}" height="${H - 2 * M}" fill="none" stroke="#888"/>
<text x="${W / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text><text x="12" y="${H / 2}" transform="rotate(-90 12 ${H / 2})" text-anchor="middle">${esc(yLabel)}</text>
${body}</svg>\n`;
}

const px = (x: number) => M + x * (W - 2 * M + 20);
const py = (y: number) => M - 14 + (1 - y) * (H - 2 * M);

function line(xs: number[], ys: number[], colour: string): string {
  const pts = xs.map((x, i) => `${px(x).toFixed(1)},${py(ys[i]!).toFixed(1)}`).join(' ');
  return `<polyline points="${pts}" fill="none" stroke="${colour}" stroke-width="1.8"/>`;
}

function rocSvg(p: PackEvaluation): string | null {
  const r = p.binary.roc;
  if (!r) return null;
  return frame(`${p.pack.name}: ROC (AUC ${p.binary.rocAuc!.toFixed(3)})`, line([0, 1], [0, 1], '#ccc') + line(r.fpr, r.tpr, '#1f77b4'), 'false-positive rate', 'true-positive rate');
}

function prSvg(p: PackEvaluation): string | null {
  const r = p.binary.pr;
  if (!r) return null;
  return frame(`${p.pack.name}: precision-recall (AP ${p.binary.averagePrecision!.toFixed(3)})`, line(r.recall, r.precision, '#d62728'), 'recall', 'precision');
}

function histogramSvg(p: PackEvaluation): string {
  const { normal, defect } = p.binary.histogram;
  const max = Math.max(1, ...normal, ...defect);
  const bw = 1 / normal.length;
  const bars = (h: number[], colour: string, off: number) =>
    h.map((n, i) => `<rect x="${px(i * bw + off * bw * 0.5).toFixed(1)}" y="${py(n / max).toFixed(1)}" width="${((bw * 0.5) * (W - 2 * M + 20)).toFixed(1)}" height="${(py(0) - py(n / max)).toFixed(1)}" fill="${colour}"/>`).join('');
  const [lo, hi] = p.binary.histogramRange;
  const t = Math.max(0, Math.min(1, hi > lo ? (p.binary.threshold - lo) / (hi - lo) : 0));
  return frame(`${p.pack.name}: ${p.binary.scoreUnit} by true class [${lo.toPrecision(3)}, ${hi.toPrecision(3)}]`, bars(normal, '#2ca02c', 0) + bars(defect, '#d62728', 1) + `<line x1="${px(t)}" x2="${px(t)}" y1="${py(0)}" y2="${py(1)}" stroke="black" stroke-dasharray="4 3"/><text x="${px(t) + 3}" y="${py(1) + 12}">threshold ${p.binary.threshold.toPrecision(4)}</text>`, `${p.binary.scoreUnit} (green: truly normal, red: truly defective)`, 'images');
}

function reliabilitySvg(p: PackEvaluation): string | null {
  const c = p.calibration;
  if (!c || !c.meanPredicted.length) return null;
  const dots = c.meanPredicted.map((x, i) => `<circle cx="${px(x).toFixed(1)}" cy="${py(c.fractionPositive[i]!).toFixed(1)}" r="3" fill="#9467bd"/>`).join('');
  return frame(`${p.pack.name}: reliability (ECE ${c.ece.toFixed(3)})`, line([0, 1], [0, 1], '#ccc') + line(c.meanPredicted, c.fractionPositive, '#9467bd') + dots, 'mean predicted defect score', 'fraction defective');
}

function confusionSvg(title: string, rows: string[], cols: string[], matrix: number[][]): string {
  const cw = Math.min(70, (W - 110) / cols.length);
  const ch = Math.min(40, (H - 90) / rows.length);
  const max = Math.max(1, ...matrix.flat());
  let body = '';
  rows.forEach((r, i) => {
    body += `<text x="95" y="${70 + i * ch + ch / 2 + 4}" text-anchor="end">${esc(r)}</text>`;
    cols.forEach((_, j) => {
      const n = matrix[i]![j]!;
      const shade = Math.round(255 - (n / max) * 180);
      body += `<rect x="${100 + j * cw}" y="${70 + i * ch}" width="${cw}" height="${ch}" fill="rgb(${shade},${shade},255)" stroke="#fff"/><text x="${100 + j * cw + cw / 2}" y="${70 + i * ch + ch / 2 + 4}" text-anchor="middle">${n}</text>`;
    });
  });
  cols.forEach((c, j) => (body += `<text x="${100 + j * cw + cw / 2}" y="62" text-anchor="middle" font-size="9">${esc(c)}</text>`));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11"><rect width="${W}" height="${H}" fill="white"/><text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(title)}</text><text x="${W / 2}" y="40" text-anchor="middle">predicted →  (rows: truth)</text>${body}</svg>\n`;
}

/** Every plot of an evaluation, by file name: the SVGs `--out` writes and the PDF report draws. */
export function evaluationPlots(result: { packs: readonly PackEvaluation[]; cases: CaseEvaluation | null }): { name: string; title: string; svg: string }[] {
  const out: { name: string; title: string; svg: string }[] = [];
  const add = (name: string, title: string, svg: string | null) => svg !== null && out.push({ name, title, svg });
  for (const p of result.packs) {
    const n = p.pack.name;
    add(`${n}.roc.svg`, `${n}: ROC`, rocSvg(p));
    add(`${n}.pr.svg`, `${n}: precision-recall`, prSvg(p));
    add(`${n}.histogram.svg`, `${n}: score histogram`, histogramSvg(p));
    add(`${n}.reliability.svg`, `${n}: reliability`, reliabilitySvg(p));
    add(`${n}.confusion.svg`, `${n}: confusion matrix`, confusionSvg(`${n}: confusion matrix`, p.classification.classes, p.classification.predictedClasses, p.classification.matrix));
  }
  if (result.cases) add('cases.confusion.svg', 'integrated verdict per case', confusionSvg('integrated verdict per case', result.cases.classes, result.cases.predictedClasses, result.cases.matrix));
  return out;
}

export function writeEvaluationOutput(dir: string, result: { packs: PackEvaluation[]; cases: CaseEvaluation | null; predictions: Prediction[] } & Record<string, unknown>): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const put = (name: string, text: string | null) => {
    if (text === null) return;
    atomicWrite(join(dir, name), text);
    written.push(name);
  };
  const { predictions, ...metrics } = result;
  put('metrics.json', JSON.stringify(metrics, null, 2) + '\n');
  put('predictions.csv', predictionsCsv(predictions));
  put('detections.json', detectionsJson(predictions));
  for (const plot of evaluationPlots(result)) put(plot.name, plot.svg);
  return written;
}
