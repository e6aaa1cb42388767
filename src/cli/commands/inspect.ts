import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { InspectorError } from '../../shared/errors';
import type { ImageResult, InspectReport } from '../../core/engine/inspect';
import { METHODS } from '../../core/explain';
import { npyFloat32 } from '../../core/explain/npy';
import { resizeMap, type HeatMap } from '../../core/explain/scale';
import { commonDir } from '../../core/engine/inspect';
import { HistoryStore } from '../../core/history/index';
import type { StationCalibration, ThresholdInForce } from '../../core/engine/calibration';
import { stationCalibration } from '../../core/evaluation/validation';
import { recordReport } from '../../host/recordInspection';
import type { Command } from '../command';
import { INSPECT_OPTIONS, inspectParams } from '../inspectOptions';
import { historyDbPath } from '../historyDb';
import { withHost } from '../host';
import { providerWarnings } from '../../host/providerWarning';

const HELP = [
  'Usage: inspector inspect <files|dirs>... [--pack DIR|NAME]... [--method M] [--config inspector.yaml]',
  '                         [--providers cuda,cpu] [--json] [--save-maps DIR] [--db FILE | --no-record]',
  '',
  'Runs model packs on images (folders are walked) in the inference worker and prints, per image, the',
  'probabilities or anomaly score, the decision, the regions, the execution provider and timings; then',
  'the integrated verdict per case (cases and verdict rules from --config, see docs/PACKS.md). A case',
  'with any image that could not be read or inspected is INCOMPLETE, never PASS, and names those',
  'images; files in a folder that are not images are skipped, listed and recorded (docs/VERDICT.md).',
  '',
  `  --method      ${METHODS.join('|')} (default: the pack's)`,
  '  --cam-layer L the map\'s target layer: any 4-D activation of the model (default: the pack\'s; an',
  '                unknown name is refused with the list of candidates, EXPLAIN_LAYER_UNKNOWN)',
  '  --cam-fuse A,B,…  fuse the maps of these layers into one (pytorch-grad-cam\'s multi-layer mean of',
  '                min–max maps at the model input; docs/EXPLANATIONS.md); recorded with the result',
  '  --save-maps   writes each raw map as float32 .npy at the model input resolution, plus a .json with',
  '                its display scale, method and target, for checking by other tools; a map is named by',
  '                its image\'s path below the inputs given, extension kept (sub/x.png.PACK.METHOD.npy),',
  '                so x.png and x.dcm never share a name (and a name is never reused: -2, -3… if needed)',
  '  --json        the whole report as JSON (maps summarised; use --save-maps for their values)',
  '  --db FILE     the history database to record into (default: the user\'s, see `inspector history`)',
  '  --no-record   inspect without recording (nothing is written to any history)',
  '',
  'Exit status: 0 all images inspected, 1 some image or pack failed, 2 usage error.',
].join('\n');

function mapOf(r: ImageResult): HeatMap | undefined {
  return r.explanation?.map ?? r.anomaly?.map;
}

/** JSON view of a report: maps summarised (their values go to --save-maps, or the media store). */
export function summariseReport(report: InspectReport): unknown {
  const strip = (m: HeatMap | undefined) => (m ? { width: m.width, height: m.height, scale: m.scale, valid: m.valid, ...(m.invalidReason ? { invalidReason: m.invalidReason } : {}) } : undefined);
  return {
    ...report,
    results: report.results.map((r) => ({
      ...r,
      ...(r.explanation ? { explanation: { ...r.explanation, map: strip(r.explanation.map) } } : {}),
      ...(r.anomaly ? { anomaly: { ...r.anomaly, map: strip(r.anomaly.map) } } : {}),
    })),
  };
}

/**
 * Where a map goes: the image's path below `base` (extension kept, so x.png and x.dcm differ), then
 * pack and method; a name already written in this run or present in the folder gets -2, -3….
 */
export function mapStem(source: string, base: string, pack: string, method: string, taken: Set<string>, dir: string): string {
  let rel = relative(base, source);
  if (!rel || rel.startsWith('..')) rel = source.split(sep).pop()!;
  const stemOf = (k: number) => `${rel.split(sep).join('/')}.${pack}.${method}${k > 1 ? `-${k}` : ''}`;
  let k = 1;
  while (taken.has(stemOf(k)) || existsSync(join(dir, `${stemOf(k)}.npy`))) k++;
  const stem = stemOf(k);
  taken.add(stem);
  return stem;
}

function saveMaps(report: InspectReport, dir: string, base: string): number {
  mkdirSync(dir, { recursive: true });
  const taken = new Set<string>();
  let n = 0;
  for (const r of report.results) {
    const map = mapOf(r);
    if (!map) continue;
    // A tiled pack's map is stitched onto the full image: saved at the image's size, not the input's.
    const [h, w] = r.tiling ? [r.image.height, r.image.width] : r.pack.inputSize;
    const full = resizeMap(map, w, h);
    const method = r.explanation?.method ?? r.anomaly?.format ?? 'map';
    const stem = mapStem(r.source, base, r.pack.name, method, taken, dir);
    mkdirSync(dirname(join(dir, stem)), { recursive: true });
    writeFileSync(join(dir, `${stem}.npy`), npyFloat32(full.data, h, w));
    writeFileSync(
      join(dir, `${stem}.json`),
      JSON.stringify(
        {
          source: r.source,
          pack: { name: r.pack.name, version: r.pack.version, manifestSha256: r.pack.manifestSha256 },
          method,
          ...(r.explanation ? { target: r.explanation.target, targetClass: r.explanation.targetLabel, requested: r.explanation.requested, fallbackReason: r.explanation.fallbackReason, ...(r.explanation.layers ? { layers: r.explanation.layers, fusion: r.explanation.fusion } : {}), ...(r.explanation.trust ? { trust: r.explanation.trust } : {}) } : {}),
          ...(r.anomaly?.pixelThreshold !== undefined ? { pixelThreshold: r.anomaly.pixelThreshold } : {}),
          ...(r.tiling ? { tiling: { tile: r.tiling.tile, overlap: r.tiling.overlap, stitch: r.tiling.stitch, score: r.tiling.score, tiles: r.tiling.tiles.length } } : {}),
          shape: [h, w],
          nativeShape: [map.height, map.width],
          resize: map.width === w && map.height === h ? 'none' : 'bilinear (cv2.INTER_LINEAR), raw values',
          scale: map.scale,
          valid: map.valid,
        },
        null,
        2,
      ) + '\n',
    );
    n++;
  }
  return n;
}

function formatReport(report: InspectReport): string {
  const lines: string[] = [];
  for (const r of report.results) {
    lines.push(`${r.source}`);
    lines.push(`  pack ${r.pack.name}@${r.pack.version} (${r.side})  case ${r.caseId}  provider ${r.provider || '-'}`);
    if (r.error) lines.push(`  ERROR ${r.error.code}: ${r.error.message}`);
    if (r.classification && !r.error) {
      const c = r.classification;
      const probs = c.probabilities
        .map((p, i) => ({ p, i }))
        .sort((a, b) => b.p - a.p)
        .slice(0, 5)
        .map(({ p, i }) => `${(r.pack.kind === 'classifier' && c.topClass === i ? '*' : '') + (labelAt(r, i))} ${(p * 100).toFixed(1)}%`);
      lines.push(`  probabilities ${probs.join(', ')}`);
    }
    if (r.anomaly && !r.error) {
      const a = r.anomaly;
      lines.push(`  anomaly (${a.format}) score ${a.score?.toFixed(3) ?? '-'}${a.rawScore !== undefined ? ` (raw ${a.rawScore.toPrecision(5)})` : ''} threshold 0.5`);
    }
    lines.push(`  decision ${r.decision.toUpperCase()}${r.drivingLabel ? ` (${r.drivingLabel})` : ''}${r.defectScore !== undefined ? `  defect score ${r.defectScore.toFixed(3)}` : ''}`);
    // The input guard's flag is the reason the decision is UNCERTAIN: said in words, not only in --json.
    if (r.guard?.outOfDistribution) lines.push(`  ${r.guard.code ?? 'INPUT_OUT_OF_DISTRIBUTION'}: ${r.guard.reasons.join('; ')}`);
    if (r.threshold) lines.push(`  ${thresholdLine(r.threshold)}`);
    if (r.validation && !r.validation.validated) lines.push(`  NOT VALIDATED: ${r.validation.reason ?? 'not validated on this station'}`);
    if (r.explanation) {
      const e = r.explanation;
      lines.push(`  explanation ${e.method}${e.method !== e.requested ? ` (requested ${e.requested}: ${e.fallbackReason ?? ''})` : ''} for ${e.targetLabel} on ${e.layers ? `${e.layers.join(' + ')} (${e.fusion})` : e.target}; scale ${e.map.scale.mode} [${e.map.scale.low.toPrecision(4)}, ${e.map.scale.high.toPrecision(4)}]${e.map.valid ? '' : ' INVALID MAP'}`);
      if (e.trust) lines.push(`  trust ${e.trust.verdict}${e.trust.figure !== null ? ` (figure ${e.trust.figure.toFixed(2)}: top ${e.trust.topPercent} % removed, log-odds drop ${e.trust.mapDrop.toFixed(2)} vs ${e.trust.randomDrop.toFixed(2)} for the same region moved)` : `: ${e.trust.reason ?? ''}`}`);
    }
    lines.push(`  regions ${r.regions.length}${r.regions.slice(0, 3).map((g) => `  [${g.x},${g.y} ${g.width}×${g.height} area ${g.area} peak ${g.peak.toFixed(2)}]`).join('')}`);
    const t = r.timings;
    lines.push(`  time ${t.totalMs.toFixed(1)} ms/image (pre ${t.preprocessMs.toFixed(1)}, infer ${t.inferenceMs.toFixed(1)}, explain ${t.explainMs.toFixed(1)}; batch ${t.batchSize})`);
  }
  if (report.skipped?.length) {
    lines.push('', `Skipped ${report.skipped.length} files that are not images (recorded):`);
    for (const s of report.skipped) lines.push(`  ${s.path}  ${s.code}`);
  }
  lines.push('', `Cases (${report.cases.length}), config ${report.configSha256.slice(0, 12)}`);
  for (const c of report.cases) {
    const v = c.verdict;
    lines.push(`  ${c.id}: ${v.verdict}${v.drivingClass ? ` (${v.drivingSide}: ${v.drivingClass})` : ''}  ${v.method} score ${v.score.toFixed(3)}  images ${c.images.length}`);
    if (v.failedImages?.length) {
      lines.push(`    not inspected (${v.failedImages.length}); the images that were give ${v.inspectedVerdict ?? '-'}:`);
      for (const f of v.failedImages) lines.push(`      ${f.source}  ${f.code}`);
    }
  }
  lines.push(`Total ${(report.totalMs / 1000).toFixed(2)} s`);
  return lines.join('\n') + '\n';
}

/** Which threshold decided, in the unit it is on: pack.yaml's, or the station's applied version. */
export function thresholdLine(t: ThresholdInForce): string {
  const v = t.low === t.high ? `${t.high.toPrecision(5)}` : `T1 ${t.low.toPrecision(5)} … T2 ${t.high.toPrecision(5)}`;
  return `threshold ${v} on ${t.unit}: ${t.source === 'applied' ? `applied version ${t.versionId} (${t.objective}, ${t.evaluationId !== undefined ? `evaluation ${t.evaluationId}` : 'reviewed history'})` : 'pack default (pack.yaml)'}`;
}

const labelAt = (r: ImageResult, i: number): string => r.classification?.labels[i] ?? `#${i}`;

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'run model packs on images: probabilities, verdict, Grad-CAM/anomaly maps, regions',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        ...INSPECT_OPTIONS,
        json: { type: 'boolean' },
        'save-maps': { type: 'string' },
        db: { type: 'string' },
        'no-record': { type: 'boolean' },
      },
    });
    if (positionals.length === 0) throw new InspectorError('USAGE', 'inspect needs at least one file or folder');
    if (values.db && values['no-record']) throw new InspectorError('USAGE', '--db and --no-record exclude each other');
    // The station's applied thresholds and validated packs decide; --no-record still reads them
    // from an existing history (read-only), and without one says the results were not checked.
    const dbFile = historyDbPath(values.db);
    const store = values['no-record'] ? null : HistoryStore.open(dbFile);
    let calibration: StationCalibration | undefined;
    try {
      if (store) calibration = stationCalibration(store.db);
      else if (existsSync(dbFile)) {
        const ro = HistoryStore.open(dbFile, { readonly: true });
        try {
          calibration = stationCalibration(ro.db);
        } finally {
          ro.close();
        }
      }
    } catch (e) {
      store?.close();
      throw e;
    }
    const report = await withHost(async (host) => {
      const r = await host.worker.call('inspect', {
        paths: positionals.map((p) => resolve(p)),
        ...inspectParams(values),
        ...(calibration ? { calibration } : {}),
      });
      if (store) {
        // Like the app: every inspection lands in the history, with its maps and errors.
        const runIds = await recordReport(host.worker, store, r, { operatorId: store.currentOperator()?.id ?? null });
        r.results.forEach((x, i) => runIds[i] !== undefined && Object.assign(x, { runId: runIds[i] }));
        if (!values.json) process.stderr.write(`recorded ${runIds.filter((x) => x !== undefined).length} runs in ${store.file}\n`);
      }
      return r;
    }).finally(() => store?.close());
    for (const w of providerWarnings(report)) process.stderr.write(`${w}\n`);
    if (values['save-maps']) {
      const n = saveMaps(report, values['save-maps'], commonDir(positionals) ?? process.cwd());
      if (!values.json) process.stderr.write(`saved ${n} maps to ${values['save-maps']}\n`);
    }
    process.stdout.write(values.json ? JSON.stringify(summariseReport(report), null, 2) + '\n' : formatReport(report));
    return report.results.some((r) => r.error) ? 1 : 0;
  },
};
