import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { PackEvaluation } from '../../core/evaluation/evaluate';
import type { SideBySide } from '../../core/evaluation/sideBySide';
import type { Interval } from '../../core/evaluation/metrics/bootstrap';
import { writeEvaluationOutput } from '../../core/evaluation/output';
import { formatEvaluationReport, writeEvaluationReport } from './evaluation';
import type { BatchProgress } from '../../host/batch';
import { runEvaluation } from '../../host/evaluate';
import { HistoryAccess } from '../../host/history';
import { appPaths } from '../../host/paths';
import { InspectorError } from '../../shared/errors';
import type { Command } from '../command';
import { withHost } from '../host';
import { historyDbPath, parseNumber } from '../historyDb';
import { INSPECT_OPTIONS, inspectParams } from '../inspectOptions';

const HELP = [
  'Usage: inspector evaluate --pack P|--config inspector.yaml --set DIR [--labels FILE] [--normal LABEL]',
  '                          [--json] [--out DIR] [--db FILE] [--propose] [--recall-target 0.99]',
  '                          [--false-alarm-target 0.01] [--sigma 3] [--bootstrap 1000] [--name NAME] [--resume BATCH_ID] [--pdf FILE]',
  '                          [--prompt P] [--box-threshold T] [--text-threshold T] [--with-guarded-boxes]',
  '',
  'Runs a pack (or the packs of an inspector.yaml) over a labelled set through the same engine and',
  'records as `batch` does (progress, Ctrl-C stops after the current case, --resume continues), marked as',
  'an evaluation: its runs stay out of the production statistics. Then measures against the labels:',
  'confusion matrix, per-class precision/recall/F1 with bootstrap 95 % intervals, accuracy, ROC-AUC and',
  'average precision with curves, score histograms per true class, calibration (ECE), box localisation',
  '(IoU, COCO AP@0.5, AP@[.5:.95], F1@IoU 0.5) and the integrated verdict per case; the evaluation is',
  'recorded in the audit chain and validates the exact pack files on this station.',
  '',
  'Sets: a folder per class; labels.csv / --labels FILE.csv (path,label[,serial,view,mask]); COCO JSON',
  '(--labels FILE.json or annotations.json); YOLO (labels/*.txt + classes.txt); labelme JSON beside the',
  'images; binary masks in masks/ (same stem). See docs/EVALUATION.md.',
  '',
  '--propose prints thresholds by objective (F1-optimal, recall ≥ target, false-alarm ≤ target, mean + kσ',
  'of normals) and the uncertain band; apply one with `inspector threshold apply`.',
  '--out DIR writes metrics.json, predictions.csv and SVG plots (and detections.json for a grounding detector).',
  'A grounding pack (or a side\'s grounding pack in the config) is measured by its boxes per class against',
  '  the set\'s boxes; --prompt/--box-threshold/--text-threshold as for inspect. --with-guarded-boxes: its',
  '  boxes on images the input guard flags are recorded and measured (the model card\'s view; the station',
  '  withholds them, and by default so does the evaluation).',
  '--pdf FILE writes the validation record (as `inspector evaluation report ID --out FILE`), signed by the',
  '  selected operator.',
  '',
  'Exit status: 0 done, 1 some image failed or stopped early, 2 usage.',
].join('\n');

const f3 = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toFixed(3));
const ci = (i: Interval | null) => (i ? ` [${i.low.toFixed(3)}, ${i.high.toFixed(3)}]` : '');

export function packTable(p: PackEvaluation): string {
  const b = p.binary;
  const lines = [
    `${p.pack.name} ${p.pack.version} (${p.pack.kind}), pack identity ${p.pack.identity.slice(0, 12)}: ${p.images} images (${b.positives} defective), ${p.errors} errors`,
    `  at the threshold in force ${b.threshold.toPrecision(4)}: F1 ${f3(b.point.f1)}${ci(b.f1Ci)}  precision ${f3(b.point.precision)}${ci(b.precisionCi)}  recall ${f3(b.point.recall)}${ci(b.recallCi)}`,
    `  ROC-AUC ${f3(b.rocAuc)}${ci(b.rocAucCi)}  AP ${f3(b.averagePrecision)}  accuracy ${f3(p.classification.accuracy)}${ci(p.classification.accuracyCi)}  ECE ${f3(p.calibration?.ece)}  uncertain band ${(b.uncertainShare * 100).toFixed(1)} %`,
    `  confusion (rows truth, columns predicted: ${p.classification.predictedClasses.join(', ')}):`,
    ...p.classification.classes.map((c, i) => `    ${c.padEnd(12)} ${p.classification.matrix[i]!.map((n) => String(n).padStart(6)).join('')}`),
    ...p.classification.perClass.map((c) => `    ${c.label.padEnd(12)} P ${f3(c.precision)} R ${f3(c.recall)} F1 ${f3(c.f1)}${ci(c.f1Ci)}  n ${c.support}`),
  ];
  if (p.localisation) {
    const l = p.localisation;
    lines.push(`  localisation (${p.pack.kind === 'grounding' ? 'boxes per phrase' : 'regions'} vs boxes, COCO): AP@0.5 ${f3(l.ap50)}  AP@[.5:.95] ${f3(l.ap)}  F1@IoU0.5 ${f3(l.f1At50)}  mean IoU of matches ${f3(l.meanIou)}`);
    // A detector names its boxes: per class, and the card's VOC all-point figures beside COCO's.
    if (p.pack.kind === 'grounding') {
      lines.push(`    ${pad('class', 18)} ${pad('boxes', 6)} ${pad('kept', 6)} ${pad('AP@0.5', 7)} ${pad('AP@[.5:.95]', 12)} ${pad('F1@IoU0.5', 10)} all-point AP@0.5 / @[.5:.95] (model card's definition)`);
      for (const c of l.perClass) {
        lines.push(`    ${pad(c.label, 18)} ${pad(String(c.truths), 6)} ${pad(String(c.detections), 6)} ${pad(f3(c.ap50), 7)} ${pad(f3(c.ap), 12)} ${pad(f3(c.f1At50), 10)} ${f3(c.ap50AllPoint)} / ${f3(c.apAllPoint)}`);
      }
    }
  }
  if (p.outOfEnvelope?.images) {
    const o = p.outOfEnvelope;
    lines.push(`  input guard: ${o.images} image(s) outside the pack's envelope${p.pack.kind === 'grounding' ? (o.boxesWithheld ? `; their boxes withheld as the station withholds them (${o.boxesWithheld}), counted as missed — --with-guarded-boxes measures them as the model card does` : '; their boxes kept (--with-guarded-boxes)') : ''}`);
  }
  if (p.pixel) lines.push(`  pixel level (${p.pixel.images} maps, ${p.pixel.regions} defect regions): pixel AUROC ${f3(p.pixel.pixelAuroc)} (defective images only ${f3(p.pixel.pixelAurocDefectOnly)})  AUPRO@0.3 ${f3(p.pixel.aupro)}`);
  if (p.maps) lines.push(`  map vs truth on ${p.maps.images} defective images: pointing game (±${p.maps.pointingTolerance} px) ${f3(p.maps.pointingGame)}${ci(p.maps.pointingGameCi)}  energy in mask ${f3(p.maps.energyInMask)}${ci(p.maps.energyInMaskCi)}`);
  return lines.join('\n');
}

export function proposalTable(p: PackEvaluation): string {
  const lines = [`  proposed thresholds for ${p.pack.name} (score ≥ threshold is a defect):`];
  for (const q of p.proposals) {
    const o = q.point;
    lines.push(`    ${q.objective.padEnd(18)} ${o.threshold.toPrecision(5).padStart(10)}  F1 ${f3(o.f1)}  recall ${f3(o.recall)}  false alarms ${f3(o.falseAlarmRate)}  (TP ${o.tp} FP ${o.fp} TN ${o.tn} FN ${o.fn})${q.note ? `  ${q.note}` : ''}`);
  }
  if (p.band) lines.push(`    uncertain band     T1 ${p.band.low.toPrecision(5)} … T2 ${p.band.high.toPrecision(5)}: ${(p.band.humanShare * 100).toFixed(1)} % of images to a person`);
  return lines.join('\n');
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

/** Every system and the integrated verdict on the same set: one row each, then their agreement. */
export function sideBySideTable(t: SideBySide): string {
  const lines = [
    'Side by side on the same set (image level on each pack\'s images; case level on the same cases, a system flags a case when it calls any image defect or uncertain):',
    `  ${pad('system', 24)} ${pad('images', 7)} ${pad('F1 [95 % CI]', 22)} ${pad('precision', 10)} ${pad('recall', 8)} ${pad('ROC-AUC [95 % CI]', 22)} ${pad('box AP@0.5', 11)} ${pad('AP@[.5:.95]', 12)} ${pad('F1@IoU0.5', 10)} ${pad('cases', 6)} ${pad('case recall', 12)} ${pad('case false alarm', 17)} case accuracy`,
  ];
  for (const r of t.systems) {
    lines.push(
      `  ${pad(r.system, 24)} ${pad(String(r.images), 7)} ${pad(r.f1 === null ? '—' : f3(r.f1) + ci(r.f1Ci), 22)} ${pad(f3(r.precision), 10)} ${pad(f3(r.recall), 8)} ${pad(r.rocAuc === null ? '—' : f3(r.rocAuc) + ci(r.rocAucCi), 22)} ${pad(f3(r.ap50), 11)} ${pad(f3(r.ap), 12)} ${pad(f3(r.f1At50), 10)} ${pad(String(r.cases), 6)} ${pad(f3(r.caseRecall), 12)} ${pad(f3(r.caseFalseAlarm), 17)} ${f3(r.caseAccuracy)}`,
    );
  }
  for (const a of t.agreement) {
    lines.push(
      a.images
        ? `  agreement ${a.a} vs ${a.b}: ${a.images} common images, same call on ${f3(a.decisionAgreement)}, both with regions on ${a.bothWithRegions}, mean region IoU ${f3(a.meanIou)} (per image in metrics.json)`
        : `  agreement ${a.a} vs ${a.b}: no image inspected by both (each sees its own side)`,
    );
  }
  return lines.join('\n');
}

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'measure a pack or a station setup on a labelled set; records an audited evaluation',
  help: HELP,
  async run(args) {
    const { values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        ...INSPECT_OPTIONS,
        set: { type: 'string' },
        labels: { type: 'string' },
        normal: { type: 'string' },
        out: { type: 'string' },
        db: { type: 'string' },
        json: { type: 'boolean' },
        propose: { type: 'boolean' },
        'recall-target': { type: 'string' },
        'false-alarm-target': { type: 'string' },
        sigma: { type: 'string' },
        bootstrap: { type: 'string' },
        name: { type: 'string' },
        resume: { type: 'string' },
        pdf: { type: 'string' },
        'with-guarded-boxes': { type: 'boolean' },
      },
    });
    if (!values.set) throw new InspectorError('USAGE', 'evaluate needs --set DIR (a labelled set)');
    if (!values.pack && !values.config) throw new InspectorError('USAGE', 'evaluate needs --pack P or --config inspector.yaml');
    const resume = values.resume !== undefined ? Number(values.resume) : undefined;
    if (resume !== undefined && !Number.isInteger(resume)) throw new InspectorError('USAGE', '--resume expects a batch id (a whole number)');
    let stop = false;
    const onSigint = () => {
      if (stop) process.exit(130);
      stop = true;
      process.stderr.write('\nstopping after the current case (Ctrl-C again to abort now)…\n');
    };
    process.on('SIGINT', onSigint);
    const tty = process.stderr.isTTY;
    const progress = (p: BatchProgress) => {
      const line = `evaluation batch ${p.batchId}: ${p.done}/${p.total} images  case ${p.caseId} ${p.verdict}${p.errors ? `  errors ${p.errors}` : ''}`;
      process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
    };
    const history = new HistoryAccess(historyDbPath(values.db));
    const paths = appPaths();
    try {
      const result = await withHost((host) =>
        runEvaluation(
          { worker: host.worker, history, packRoots: [{ dir: paths.appModelsDir, source: 'app' }, { dir: paths.userModelsDir, source: 'user' }] },
          {
            set: resolve(values.set!),
            ...(values.labels ? { labels: resolve(values.labels) } : {}),
            ...(values.normal ? { normalLabel: values.normal } : {}),
            ...inspectParams(values),
            ...(values.name ? { name: values.name } : {}),
            ...(resume !== undefined ? { resume } : {}),
            ...(values['with-guarded-boxes'] ? { keepGuardedBoxes: true } : {}),
            recallTarget: parseNumber(values['recall-target'], '--recall-target', 0.99),
            falseAlarmTarget: parseNumber(values['false-alarm-target'], '--false-alarm-target', 0.01),
            sigmaK: parseNumber(values.sigma, '--sigma', 3),
            bootstrapRounds: parseNumber(values.bootstrap, '--bootstrap', 1000),
          },
          progress,
          () => stop,
        ),
      );
      if (tty) process.stderr.write('\n');
      const written = values.out && !result.batch.stopped ? writeEvaluationOutput(resolve(values.out), { ...result }) : [];
      // The validation record, signed by the selected operator; the evaluation is recorded either way.
      const pdf = values.pdf && result.evaluationId !== null ? await writeEvaluationReport(history.get(), result.evaluationId, resolve(values.pdf), undefined) : null;
      if (values.json) {
        const { predictions: _p, ...rest } = result;
        process.stdout.write(JSON.stringify({ ...rest, database: history.file, ...(values.out ? { out: resolve(values.out), written } : {}), ...(pdf ? { report: pdf } : {}) }, null, 2) + '\n');
      } else if (result.batch.stopped) {
        process.stdout.write(`Evaluation STOPPED after ${result.batch.inspected + result.batch.skipped} of ${result.batch.total} images; continue with: inspector evaluate … --resume ${result.batch.batchId}\n`);
      } else {
        const out = [
          `Evaluation ${result.evaluationId} of ${result.set.root} (${result.set.format}, ${result.set.images} images, classes ${result.set.classes.join(', ')}; set ${result.set.identity.slice(0, 12)}), batch ${result.batch.batchId}`,
          ...result.packs.flatMap((p) => [packTable(p), ...(values.propose ? [proposalTable(p)] : [])]),
        ];
        if (result.cases) {
          const c = result.cases;
          out.push(`Integrated verdict per case: ${c.cases} cases, accuracy ${f3(c.accuracy)}${ci(c.accuracyCi)}, defective cases flagged ${f3(c.defectRecall)}`);
          out.push(`  rows truth, columns verdict (${c.predictedClasses.join(', ')}):`);
          c.classes.forEach((k, i) => out.push(`    ${k.padEnd(16)} ${c.matrix[i]!.map((n) => String(n).padStart(6)).join('')}`));
        }
        if (result.sideBySide) out.push(sideBySideTable(result.sideBySide));
        if (written.length) out.push(`Wrote ${written.join(', ')} to ${resolve(values.out!)}`);
        if (pdf) out.push(formatEvaluationReport(pdf).trimEnd());
        out.push(`Recorded in ${history.file} (evaluation runs are excluded from production statistics)`);
        process.stdout.write(out.join('\n') + '\n');
      }
      return result.batch.errors > 0 || result.batch.stopped ? 1 : 0;
    } finally {
      process.off('SIGINT', onSigint);
      history.close();
    }
  },
};
