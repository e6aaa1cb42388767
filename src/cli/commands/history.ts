import { parseArgs } from 'node:util';
import { agreementStats, allPacksDrift, dailyStats, errorStats, failedImageQuery, getRun, listFailedImages, packStats, searchHistory, type HistoryQuery, type ReviewStatus } from '../../core/history/index';
import type { FailedImageRow, HistoryPage, HistoryStore, RunDetail } from '../../core/history/index';
import { configLabel, configuredUidRoot, DEFAULTS_CONFIG_SHA256, exportDataset, exportHistory, type DatasetExportResult, type ExportResult } from '../../core/reports/index';
import { readAppVersion } from '../../host/createHost';
import { findAppRoot } from '../../host/paths';
import { stationDirOf } from '../../core/settings/index';
import type { Command } from '../command';
import { openExisting, parseInstant, parseNumber, usageError, withStore } from '../historyDb';

const STATUSES: ReviewStatus[] = ['any', 'unreviewed', 'reviewed', 'accept', 'reject', 'override', 'uncertain'];
const DAY_MS = 86_400_000;

const help = [
  'Usage: inspector history list  [--db FILE] [filters] [--json]',
  '       inspector history export --format csv|json --out FILE [--operator ID] [--db FILE] [filters] [--desc] [--deidentify]',
  '         --deidentify: what leaves the app de-identified (PS3.15 basic profile): patient ids as the DICOM',
  '         node\'s pseudonyms, UIDs derived under its uid_root, paths and non-UID case keys hashed, reviewer',
  '         names, notes and prompts removed; every row marked (column deidentified). See docs/PRIVACY.md',
  '       inspector history export --format dataset --out DIR [--operator ID] [--db FILE] [filters]',
  '         reviewed cases as a training set: ImageFolder images/<label>/, COCO annotations/coco.json,',
  '         manifest.csv (reviewer, decision, run per item), dataset.json (hashes); see docs/DATASET_EXPORT.md',
  '       inspector history show  RUN_ID [--db FILE] [--json]',
  '       inspector history stats [--db FILE] [--from DAY] [--to DAY] [--pack NAME] [--psi-limit X] [--ks-limit X] [--json]',
  '',
  'list filters:',
  '  --from DAY|ISO  --to DAY|ISO   date range (a bare day is inclusive)',
  '  --verdict V     (repeatable)   AI verdict / class',
  '  --pack NAME     --reviewer ID  --text SUBSTRING (case key: serial, cell ID, study UID)',
  `  --status S      one of ${STATUSES.join(', ')}`,
  '  --sort time|score  --asc  --limit N (default 50)  --page N (1-based)  --total',
  '  --batch ID      failed images of one batch only',
  '',
  'list also names every image that could not be read or inspected, and every file skipped as not an',
  'image, with its file, code and case ("failedImages" in --json). A --verdict or review filter, which',
  'failed images cannot match, leaves them out.',
  '',
  'The database is the user data folder\'s inspector.sqlite unless --db names another.',
].join('\n');

/** The filter options `history list`, `history export` and `audit report` share. */
export const FILTER_OPTIONS = {
  db: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  verdict: { type: 'string', multiple: true },
  pack: { type: 'string' },
  reviewer: { type: 'string' },
  status: { type: 'string' },
  text: { type: 'string' },
  sort: { type: 'string' },
} as const;

export interface FilterValues {
  from?: string;
  to?: string;
  verdict?: string[];
  pack?: string;
  reviewer?: string;
  status?: string;
  text?: string;
  sort?: string;
}

/** The filter options as a history query (no paging, no order). */
export function filterQuery(values: FilterValues): HistoryQuery {
  const status = (values.status ?? 'any') as ReviewStatus;
  if (!STATUSES.includes(status)) throw usageError(`--status must be one of ${STATUSES.join(', ')}.`);
  if (values.sort && values.sort !== 'time' && values.sort !== 'score') throw usageError('--sort must be time or score.');
  const to = values.to ? parseInstant(values.to, '--to') + (/^\d{4}-\d{2}-\d{2}$/.test(values.to) ? DAY_MS : 0) : undefined;
  return {
    from: values.from ? parseInstant(values.from, '--from') : undefined,
    to,
    verdicts: values.verdict,
    pack: values.pack,
    reviewer: values.reviewer,
    reviewStatus: status,
    text: values.text,
    sort: values.sort as 'time' | 'score' | undefined,
  };
}

export function formatExport(r: ExportResult, operatorId: string): string {
  return (
    `Exported ${r.runs} run${r.runs === 1 ? '' : 's'} to ${r.file} (${r.format}, ${r.bytes} bytes)\n` +
    (r.deidentified ? '  de-identified (PS3.15 basic profile, docs/PRIVACY.md)\n' : '') +
    `  sha256 ${r.sha256}\n  ${r.logged === false ? `NOT logged: the database is read-only (chain head #${r.audit.seq})` : `logged as audit entry #${r.audit.seq} (export.${r.format} by ${operatorId})`}\n`
  );
}

export function formatDatasetExport(r: DatasetExportResult, operatorId: string): string {
  const reasons: Record<string, number> = {};
  for (const k of r.skipped) reasons[k.reason] = (reasons[k.reason] ?? 0) + 1;
  return (
    `Exported ${r.items} of ${r.runs} reviewed run${r.runs === 1 ? '' : 's'} as a training set in ${r.file}\n` +
    `  labels  ${Object.entries(r.labels).map(([k, v]) => `${k} ${v}`).join(', ') || '-'}\n` +
    (r.skipped.length ? `  skipped ${Object.entries(reasons).map(([k, v]) => `${k} ${v}`).join(', ')} (run IDs in dataset.json)\n` : '') +
    `  dataset.json sha256 ${r.sha256}\n  logged as audit entry #${r.audit.seq} (export.dataset by ${operatorId})\n`
  );
}

const ts = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

function formatList(p: HistoryPage): string {
  const head = ['run', 'time (UTC)', 'case', 'pack', 'verdict', 'score', 'case verdict', 'review'];
  const rows = p.rows.map((r) => [
    String(r.runId),
    ts(r.createdAt),
    r.caseKey,
    `${r.packName}@${r.packVersion}`,
    r.verdict,
    r.score.toFixed(3),
    r.caseVerdict ? `${r.caseVerdict.verdict}${r.caseVerdict.source === 'recomputed' ? ' (recomputed)' : r.caseVerdict.policy?.includes('incomplete') ? ` (${r.caseVerdict.policy})` : ''}` : '-',
    r.review ? `${r.review.decision}${r.review.label ? `:${r.review.label}` : ''} by ${r.review.operatorId}` : '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const footer = `${p.rows.length} rows from ${p.offset + 1}${p.total !== undefined ? ` of ${p.total}` : ''}${p.hasMore ? ' (more: --page)' : ''}`;
  return [line(head), ...rows.map(line), footer].join('\n') + '\n';
}

/**
 * --verdict values no run carries. A run's verdict is the AI's class (normal, porosity, anomalous,
 * uncertain…); a quality lead asking for `--verdict PASS` (a case verdict) got "0 rows" and no hint
 * that the word, not the history, was the problem.
 */
export function unknownVerdicts(db: HistoryStore['db'], asked: readonly string[] | undefined): { unknownVerdicts?: string[]; recordedVerdicts?: string[] } {
  if (!asked?.length) return {};
  const recorded = db.prepare('SELECT DISTINCT verdict FROM inference_runs ORDER BY verdict').pluck().all() as string[];
  // INCOMPLETE selects the failed images (failedImageQuery), which are listed, not runs.
  const unknown = asked.filter((v) => !recorded.includes(v) && v.toUpperCase() !== 'INCOMPLETE');
  return unknown.length ? { unknownVerdicts: unknown, recordedVerdicts: recorded } : {};
}

export function unknownVerdictNote(unknown: readonly string[], recorded: readonly string[] = []): string {
  return (
    `note: no run has the AI verdict ${unknown.join(', ')}; the AI verdicts recorded here are ${recorded.join(', ') || 'none'}` +
    ` (PASS, INTERNAL_DEFECT, … are case verdicts: the "case verdict" column)\n`
  );
}

function formatFailed(f: { rows: FailedImageRow[]; total: number }): string {
  if (f.total === 0) return '';
  const head = ['error', 'time (UTC)', 'case', 'file', 'code', 'batch'];
  const rows = f.rows.map((r) => [String(r.id), ts(r.createdAt), r.caseKey ?? '-', r.sourcePath ?? '-', `${r.code}${r.skipped ? ' (skipped)' : ''}`, r.batchId !== null ? String(r.batchId) : '-']);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return ['', `Failed or skipped images (${f.total}; not inspected, never PASS)`, line(head), ...rows.map(line), `${f.rows.length} of ${f.total}`].join('\n') + '\n';
}

/** A tiled run (docs/PACKS.md "Tiling"): how the image was cut and pooled, and the worst tile. */
function tilingLine(ex: RunDetail['run']['explanation']): string[] {
  const t = (ex as { tiling?: { tile: number[]; overlap: number[]; stitch: string; score: string; tiles: { x: number; y: number; width: number; height: number; defectScore?: number }[] } } | null)?.tiling;
  if (!t) return [];
  const worst = t.tiles.reduce((a, b) => ((b.defectScore ?? -1) > (a.defectScore ?? -1) ? b : a));
  return [`  tiling    ${t.tiles.length} tiles of ${t.tile[1]}x${t.tile[0]} (overlap ${t.overlap[1]}x${t.overlap[0]} px), maps stitched by ${t.stitch}, score ${t.score}; worst tile [${worst.x},${worst.y},${worst.width},${worst.height}] ${worst.defectScore?.toFixed(4) ?? '-'}`];
}

/** Stored timings as a person reads them: `pre 14.4 ms, infer 6.6 ms, …, batch 1` (stored unrounded). */
export function timingsLine(t: Record<string, unknown>): string {
  const cells = Object.entries(t).map(([k, v]) => {
    if (typeof v !== 'number') return `${k} ${String(v)}`;
    const ms = /Ms$/.exec(k);
    return ms ? `${k.slice(0, -2)} ${v.toFixed(1)} ms` : `${k} ${Number.isInteger(v) ? v : v.toPrecision(4)}`;
  });
  return cells.join(', ') || '-';
}

/** Segmentation runs: the pixel cut(s) and smallest region that decided, and each class's area in whole source pixels. */
function segmentationLine(r: RunDetail['run']): string[] {
  if (r.thresholds['minAreaModelPx'] === undefined) return [];
  const cuts = Object.entries(r.thresholds).filter(([k]) => k.startsWith('pixel.')).map(([k, v]) => `${k.slice(6)} ≥ ${v}`);
  const areas = Object.entries(r.scores).filter(([k]) => k.startsWith('areaPx.')).map(([k, v]) => `${k.slice(7)} ${Math.round(v).toLocaleString('en-US')} px${r.scores[`areaMm2.${k.slice(7)}`] !== undefined ? ` (${r.scores[`areaMm2.${k.slice(7)}`]!.toFixed(2)} mm²)` : ''}`);
  return [`  pixels    ${cuts.length ? `class where probability ${cuts.join(', ')}` : 'arg-max class'}; regions ≥ ${r.thresholds['minAreaModelPx']} model px; area ${areas.join(', ') || '-'}`];
}

/** The layer(s) a map was made of, when the run records them (the pack's choice or --cam-layer / --cam-fuse). */
function explainLayers(e: NonNullable<RunDetail['run']['explanation']>): string {
  // A fused map records every layer it fused in `layers` (the target among them).
  if (e.layers?.length) return ` layers ${e.layers.join(', ')} fused (${e.fusion ?? 'mean'})`;
  return e.target ? ` layer ${e.target}` : '';
}

function formatRun(d: RunDetail): string {
  const r = d.run;
  const lines = [
    `Run ${r.id}  ${ts(r.createdAt)} UTC  (day ${r.day})`,
    `  case      ${d.case.key} [${d.case.kind}]${d.case.line ? ` line ${d.case.line}` : ''}${d.case.station ? ` station ${d.case.station}` : ''}`,
    `  image     ${d.image.sourcePath}  ${d.image.format}/${d.image.modality}  ${d.image.width ?? '?'}x${d.image.height ?? '?'}  sha256 ${d.image.sha256.slice(0, 16)}…  validation ${d.image.validation.outcome}`,
    `  pack      ${r.packName}@${r.packVersion} on ${r.provider}${r.configHash ? `  ${configLabel(r.configHash)}${r.configHash === DEFAULTS_CONFIG_SHA256 ? '' : '…'}` : ''}`,
    ...(r.groundingPrompt ? [`  prompt    ${r.groundingPrompt}`] : []),
    `  verdict   ${r.verdict}  score ${r.score.toFixed(4)}${r.threshold !== null ? `  threshold ${r.threshold}` : ''}`,
    // Which threshold decided (an applied version, else pack.yaml's) and whether the pack was validated here.
    `  decided   by ${r.thresholds['thresholdVersion'] !== undefined ? `threshold version ${r.thresholds['thresholdVersion']}` : "the pack's own thresholds"}${r.thresholds['validated'] === 0 ? '; NOT VALIDATED on this station when inspected' : r.thresholds['validated'] === 1 ? '; validated on this station' : ''}`,
    ...segmentationLine(r),
    `  probs     ${Object.entries(r.probabilities).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ') || '-'}`,
    `  regions   ${r.regions.length ? r.regions.map((g) => `${g.label} [${g.box.map((v) => +v.toFixed(1)).join(',')}]`).join('; ') : '-'}`,
    `  explain   ${r.explanation ? `${r.explanation.method} (${r.explanation.scale.kind})${explainLayers(r.explanation)}${r.explanation.blob ? ` map ${r.explanation.blob.slice(0, 12)}…` : ''}${r.explanationRecord ? ` (drawn after the decision: explanation record ${r.explanationRecord})` : ''}` : '-'}`,
    ...tilingLine(r.explanation),
    `  timings   ${timingsLine(r.timings)}`,
    `Reviews (${d.reviews.length})`,
    ...d.reviews.map(
      (v) =>
        `  #${v.id} ${ts(v.createdAt)} ${v.operatorName ?? v.operatorId} (${v.operatorId}): ${v.decision}${v.label ? ` → ${v.label}` : ''}` +
        `${v.boxes.length ? `, ${v.boxes.length} box(es)` : ''}${v.note ? `, "${v.note}"` : ''}` +
        `${v.supersedes ? `  [corrects #${v.supersedes}]` : ''}${v.supersededBy ? `  [superseded by #${v.supersededBy}]` : ''}`,
    ),
  ];
  return lines.join('\n') + '\n';
}

export const historyCommand: Command = {
  name: 'history',
  summary: 'list, export, show and summarise recorded inspections (list|export|show|stats)',
  help,
  async run(args) {
    const [sub, ...rest] = args;
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        ...FILTER_OPTIONS,
        json: { type: 'boolean' },
        asc: { type: 'boolean' },
        desc: { type: 'boolean' },
        format: { type: 'string' },
        out: { type: 'string' },
        operator: { type: 'string' },
        limit: { type: 'string' },
        page: { type: 'string' },
        total: { type: 'boolean' },
        'psi-limit': { type: 'string' },
        'ks-limit': { type: 'string' },
        batch: { type: 'string' },
        deidentify: { type: 'boolean' },
      },
    });
    const out = (v: unknown, text: () => string) => process.stdout.write(values.json ? JSON.stringify(v, null, 2) + '\n' : text());
    // Only exports leave the app; elsewhere the flag would be a silent no-op.
    if (values.deidentify && sub !== 'export') throw usageError(`--deidentify is for history export (and audit report), not history ${sub ?? ''}.`);

    if (sub === 'list') {
      const query = filterQuery(values);
      const limit = parseNumber(values.limit, '--limit', 50);
      const page = parseNumber(values.page, '--page', 1);
      const batchId = values.batch !== undefined ? parseNumber(values.batch, '--batch', 0) : undefined;
      // Failed images under the same filters as every export (failedImageQuery): a review filter, or a verdict filter without INCOMPLETE, excludes them.
      const failedQuery = failedImageQuery({ ...query, order: values.asc ? 'asc' : 'desc' }, { ...(batchId !== undefined ? { batchId } : {}), limit, offset: (Math.max(1, page) - 1) * limit });
      const result = withStore(values.db, (s) => ({
        ...searchHistory(s.db, {
          ...query,
          order: values.asc ? 'asc' : 'desc',
          limit,
          offset: (Math.max(1, page) - 1) * limit,
          withTotal: values.total ?? false,
        }),
        failedImages: failedQuery ? listFailedImages(s.db, failedQuery) : { rows: [], total: 0 },
        ...unknownVerdicts(s.db, query.verdicts),
      }));
      if (result.unknownVerdicts) process.stderr.write(unknownVerdictNote(result.unknownVerdicts, result.recordedVerdicts));
      out(result, () => formatList(result) + formatFailed(result.failedImages));
      return 0;
    }
    if (sub === 'export') {
      const format = values.format;
      if (format === 'dataset') {
        if (values.deidentify) throw usageError('history export --deidentify is for --format csv or json (and audit report): a dataset export copies the images themselves, which cannot be de-identified here.');
        if (!values.out) throw usageError('history export --format dataset needs --out DIR.');
        const store = openExisting(values.db);
        try {
          const operator = values.operator ?? store.currentOperator()?.id;
          const result = await exportDataset(store, filterQuery(values), operator, { out: values.out, appVersion: readAppVersion(findAppRoot()) });
          out(result, () => formatDatasetExport(result, operator!));
        } finally {
          store.close();
        }
        return 0;
      }
      if (format !== 'csv' && format !== 'json') throw usageError('history export needs --format csv, json or dataset.');
      if (!values.out) throw usageError('history export needs --out FILE.');
      const query: HistoryQuery = { ...filterQuery(values), order: values.desc ? 'desc' : 'asc' };
      const store = openExisting(values.db);
      try {
        // Signed by --operator, else by the profile selected (in the app or `inspector operator select`).
        const operator = values.operator ?? store.currentOperator()?.id;
        const result = await exportHistory(store, query, format, operator, {
          out: values.out,
          appVersion: readAppVersion(findAppRoot()),
          // The DICOM node's uid_root from this data folder's settings, so UIDs match what it sends.
          ...(values.deidentify ? { deidentify: { uidRoot: configuredUidRoot(stationDirOf(store.file)) } } : {}),
        });
        out(result, () => formatExport(result, operator!));
      } finally {
        store.close();
      }
      return 0;
    }
    if (sub === 'show') {
      const id = Number(positionals[0]);
      if (!Number.isInteger(id) || id <= 0) throw usageError('history show needs a run ID (see history list).');
      const d = withStore(values.db, (s) => getRun(s.db, id));
      out(d, () => formatRun(d));
      return 0;
    }
    if (sub === 'stats') {
      const q = { fromDay: values.from, toDay: values.to, pack: values.pack };
      for (const [k, v] of [['--from', q.fromDay], ['--to', q.toDay]] as const) {
        if (v !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(v)) throw usageError(`${k} expects a day like 2025-01-31.`);
      }
      const limits = { psi: parseNumber(values['psi-limit'], '--psi-limit', 0.2), ks: parseNumber(values['ks-limit'], '--ks-limit', 0.15) };
      const stats = withStore(values.db, (s) => ({
        daily: dailyStats(s.db, q),
        packs: packStats(s.db, q),
        agreement: agreementStats(s.db, q),
        errors: errorStats(s.db, q),
        drift: allPacksDrift(s.db, { limits }).filter((d) => !q.pack || d.pack === q.pack),
      }));
      out(stats, () => formatStats(stats));
      return 0;
    }
    throw usageError(`history needs list, export, show or stats; got "${sub ?? ''}".\n\n${help}`);
  },
};

type Stats = {
  daily: ReturnType<typeof dailyStats>;
  packs: ReturnType<typeof packStats>;
  agreement: ReturnType<typeof agreementStats>;
  errors: ReturnType<typeof errorStats>;
  drift: ReturnType<typeof allPacksDrift>;
};

function formatStats(s: Stats): string {
  const pct = (x: number | null) => (x === null ? '  -  ' : `${(x * 100).toFixed(1)}%`);
  const lines = ['Per day', '  day         images    runs  errors  verdicts'];
  for (const d of s.daily) {
    lines.push(`  ${d.day}  ${String(d.images).padStart(6)}  ${String(d.runs).padStart(6)}  ${String(d.errors).padStart(6)}  ${Object.entries(d.verdicts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  lines.push('', 'Per pack');
  for (const p of s.packs) {
    const peak = Math.max(1, ...p.histogram);
    const spark = Array.from({ length: 20 }, (_, i) => p.histogram.slice(i * 5, i * 5 + 5).reduce((a, b) => a + b, 0));
    const sparkPeak = Math.max(1, ...spark);
    lines.push(`  ${p.pack}: ${p.runs} runs; ${Object.entries(p.verdicts).map(([k, v]) => `${k} ${v}`).join(', ')}; threshold ${p.threshold ?? '-'}`);
    lines.push(`    scores 0..1 |${spark.map((n) => ' ▁▂▃▄▅▆▇█'[Math.round((n / sparkPeak) * 8)]).join('')}| (peak bin ${peak})`);
  }
  const a = s.agreement;
  lines.push('', `AI vs reviewer (${a.reviewed} reviewed, agreement ${pct(a.accuracy)})`);
  if (a.reviewed) {
    const w = Math.max(8, ...a.aiLabels.map((l) => l.length), ...a.humanLabels.map((l) => l.length));
    lines.push(`  ${'AI \\ human'.padEnd(w)}  ${a.humanLabels.map((l) => l.padStart(w)).join('  ')}`);
    a.aiLabels.forEach((l, i) => lines.push(`  ${l.padEnd(w)}  ${a.matrix[i]!.map((n) => String(n).padStart(w)).join('  ')}`));
    for (const c of a.perClass) lines.push(`  ${c.label}: precision ${pct(c.precision)}  recall ${pct(c.recall)}  F1 ${pct(c.f1)}  (n=${c.support})`);
  }
  const failed = s.errors.total - s.errors.skipped;
  lines.push('', `Errors: ${failed} failed images (${pct(s.errors.rate)} of attempts)${s.errors.skipped ? `; ${s.errors.skipped} non-image files skipped (not counted as attempts)` : ''}`);
  for (const e of s.errors.byCode.slice(0, 10)) lines.push(`  ${e.stage.padEnd(10)} ${e.code.padEnd(32)} ${e.n}`);
  lines.push('', 'Drift (recent scores vs the pack\'s validation scores)');
  for (const d of s.drift) {
    lines.push(
      `  ${d.pack}: ${d.status.toUpperCase()}${d.psi !== null ? `  PSI ${d.psi.toFixed(3)} (limit ${d.limits.psi})  KS ${d.ks!.toFixed(3)} (limit ${d.limits.ks}, p ${d.ksPValue!.toExponential(1)})` : ''}  n=${d.recentN}/${d.referenceN}`,
    );
  }
  return lines.join('\n') + '\n';
}
