/**
 * "The numbers printed by `evaluate` reproduce the cards": each shipped pack's figures as its model
 * card states them, read at run time — the "Evaluated on this station" table of MODEL_CARD.md for
 * the classifier and anomaly packs, evaluation.json for the grounding pack (so a retrained pack is
 * checked against its new card, nothing pinned here) — and compared with the metrics.json that
 * `inspector evaluate --out` writes on the same held-out set (training/eval_sets.py).
 *
 * Tolerances, stated per figure: a card figure printed with d decimals must equal ours rounded to
 * d decimals (|diff| ≤ half a unit in its last digit); a confusion count exactly; the grounding
 * card's AP (PyTorch at build time, full precision) within 0.01 — the engine's ONNX numerics and
 * resize against PyTorch's, the tolerance `npm run bench -- heldout` uses.
 *
 * Shared by `npm run bench -- cards` (every pack on its full set) and the fast test
 * tests/unit/evaluation/cards.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, sharedData } from './paths';

export const PY = '/usr/bin/python3';
export const cardsReady = existsSync(PY) && ['battery-xct', 'bsdata', 'chest-xray-nih', 'deeppcb'].every((d) => existsSync(join(sharedData, d)));

/** What metrics.json holds that a card states (only the fields read here). */
interface Interval { low: number; high: number }
interface PackMetrics {
  pack: { name: string; kind: string };
  images: number;
  errors: number;
  binary: { point: { f1: number; precision: number; recall: number; tp: number; fp: number; tn: number; fn: number }; f1Ci: Interval | null; rocAuc: number | null; averagePrecision: number | null; uncertainShare: number };
  classification: { accuracy: number; matrix: number[][] };
  calibration: { ece: number } | null;
  pixel?: { pixelAuroc: number | null; pixelAurocDefectOnly: number | null; aupro: number | null } | null;
  maps?: { pointingGame: number | null; energyInMask: number | null } | null;
  localisation: { perClass: { label: string; truths: number; ap50AllPoint?: number; apAllPoint?: number }[] } | null;
}
export interface Metrics { set: { images: number }; packs: PackMetrics[] }

export interface Check {
  pack: string;
  figure: string;
  card: number;
  ours: number | null;
  tolerance: number;
  ok: boolean;
}

/** Numbers of a table cell, outside brackets and parentheses (intervals, asides), and those inside the first brackets. */
function cellNumbers(cell: string): { main: { v: number; decimals: number }[]; interval: { v: number; decimals: number }[] } {
  const nums = (s: string) => [...s.matchAll(/-?\d+(?:\.(\d+))?/g)].map((m) => ({ v: Number(m[0]), decimals: m[1]?.length ?? 0 }));
  const bracket = /\[([^\]]*)\]/.exec(cell);
  return { main: nums(cell.replace(/\[[^\]]*\]/g, '').replace(/\([^)]*\)/g, '')), interval: bracket ? nums(bracket[1]!) : [] };
}

/** The "Evaluated on this station" table of a card: first cell → second cell. */
export function stationTable(card: string): Map<string, string> {
  const at = card.indexOf('## Evaluated on this station');
  if (at < 0) throw new Error('the card has no "Evaluated on this station" section');
  const rows = new Map<string, string>();
  for (const line of card.slice(at).split('\n').slice(1)) {
    if (line.startsWith('## ')) break;
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length >= 4 && cells[1] && cells[1] !== 'measure' && !/^-+$/.test(cells[1])) rows.set(cells[1], cells[2]!);
  }
  return rows;
}

type Row = { starts: string; figures: string[]; ours: (m: PackMetrics) => (number | null | undefined)[]; interval?: (m: PackMetrics) => Interval | null };

const point = (m: PackMetrics) => m.binary.point;
const common: Row[] = [
  { starts: 'precision / recall', figures: ['precision', 'recall'], ours: (m) => [point(m).precision, point(m).recall] },
  { starts: 'confusion', figures: ['TN', 'FP', 'FN', 'TP'], ours: (m) => [point(m).tn, point(m).fp, point(m).fn, point(m).tp] },
];
/** Which card rows are checked and where each figure is in metrics.json. */
const ROWS: Record<string, Row[]> = {
  'battery-ct-porosity': [
    { starts: 'F1 (porosity) at', figures: ['F1'], ours: (m) => [point(m).f1], interval: (m) => m.binary.f1Ci },
    ...common,
    { starts: 'ROC-AUC / average precision', figures: ['ROC-AUC', 'AP'], ours: (m) => [m.binary.rocAuc, m.binary.averagePrecision] },
    { starts: 'expected calibration error', figures: ['ECE'], ours: (m) => [m.calibration?.ece] },
    { starts: 'HiResCAM at `features.2` (the default) pointing game', figures: ['pointing game'], ours: (m) => [m.maps?.pointingGame] },
    { starts: 'HiResCAM at `features.2` energy', figures: ['energy in mask'], ours: (m) => [m.maps?.energyInMask] },
  ],
  'chest-xray-pneumonia': [
    { starts: 'F1 (pneumonia) at', figures: ['F1'], ours: (m) => [point(m).f1], interval: (m) => m.binary.f1Ci },
    ...common,
    { starts: 'ROC-AUC / average precision', figures: ['ROC-AUC', 'AP'], ours: (m) => [m.binary.rocAuc, m.binary.averagePrecision] },
    { starts: 'accuracy', figures: ['accuracy'], ours: (m) => [m.classification.accuracy] },
    { starts: 'expected calibration error', figures: ['ECE'], ours: (m) => [m.calibration?.ece] },
    { starts: 'the pack\'s uncertain band', figures: ['% to a person'], ours: (m) => [m.binary.uncertainShare * 100] },
  ],
  'surface-pitting-ae': [
    { starts: 'F1 at the shipped threshold', figures: ['F1'], ours: (m) => [point(m).f1], interval: (m) => m.binary.f1Ci },
    ...common,
    { starts: 'image ROC-AUC / average precision', figures: ['ROC-AUC', 'AP'], ours: (m) => [m.binary.rocAuc, m.binary.averagePrecision] },
    { starts: 'pixel AUROC, all test photos / pitted only', figures: ['pixel AUROC', 'pixel AUROC (pitted only)'], ours: (m) => [m.pixel?.pixelAuroc, m.pixel?.pixelAurocDefectOnly] },
    { starts: 'AUPRO', figures: ['AUPRO'], ours: (m) => [m.pixel?.aupro] },
  ],
};
export const CARD_PACKS = Object.keys(ROWS);

const check = (pack: string, figure: string, card: number, ours: number | null | undefined, tolerance: number): Check => ({
  pack,
  figure,
  card,
  ours: ours ?? null,
  tolerance,
  ok: ours !== null && ours !== undefined && Math.abs(ours - card) <= tolerance,
});

/** Half a unit in the last printed digit (and a hair for binary floating point). */
const printed = (decimals: number) => 0.5 * 10 ** -decimals + 1e-9;

/** A classifier or anomaly pack's card table against metrics.json. */
export function compareCard(pack: string, metrics: Metrics): Check[] {
  const m = metrics.packs.find((p) => p.pack.name === pack);
  if (!m) throw new Error(`metrics.json has no ${pack}`);
  const table = stationTable(readFileSync(join(repoRoot, 'models', pack, 'MODEL_CARD.md'), 'utf8'));
  const out: Check[] = [];
  for (const row of ROWS[pack]!) {
    const key = [...table.keys()].find((k) => k.startsWith(row.starts));
    if (!key) {
      out.push({ pack, figure: `card row "${row.starts}…"`, card: NaN, ours: null, tolerance: 0, ok: false });
      continue;
    }
    const { main, interval } = cellNumbers(table.get(key)!);
    const ours = row.ours(m);
    row.figures.forEach((f, i) => {
      const c = main[i];
      if (!c) return void out.push({ pack, figure: `${f} (not in the card's row "${key}")`, card: NaN, ours: ours[i] ?? null, tolerance: 0, ok: false });
      // Counts (a confusion row) are exact; figures to their printed precision.
      out.push(check(pack, f, c.v, ours[i], c.decimals ? printed(c.decimals) : 0));
    });
    const ci = row.interval?.(m);
    if (row.interval && interval.length === 2) {
      out.push(check(pack, `${row.figures[0]} 95 % interval low`, interval[0]!.v, ci?.low, printed(interval[0]!.decimals)));
      out.push(check(pack, `${row.figures[0]} 95 % interval high`, interval[1]!.v, ci?.high, printed(interval[1]!.decimals)));
    }
  }
  return out;
}

export interface GroundingCard {
  prompt: string;
  box_threshold: number;
  text_threshold: number;
  domains: Record<string, { n_images: number; per_class: Record<string, { ap50: number; ap50_95: number; n_gt: number }> }>;
}
export const readGroundingCard = (): GroundingCard => JSON.parse(readFileSync(join(repoRoot, 'models', 'defects-grounding', 'evaluation.json'), 'utf8')) as GroundingCard;

/** The grounding card's AP per class of one domain against metrics.json (the card's all-point definition). */
export function compareGroundingDomain(domain: string, metrics: Metrics, tolerance = 0.01): Check[] {
  const card = readGroundingCard().domains[domain]!;
  const m = metrics.packs.find((p) => p.pack.kind === 'grounding')!;
  const pack = `defects-grounding ${domain}`;
  const out: Check[] = [check(pack, 'images', card.n_images, metrics.set.images, 0), check(pack, 'errors', 0, m.errors, 0)];
  for (const [label, c] of Object.entries(card.per_class)) {
    const ours = m.localisation?.perClass.find((x) => x.label === label);
    out.push(check(pack, `${label} boxes`, c.n_gt, ours?.truths, 0));
    out.push(check(pack, `${label} AP@0.5`, c.ap50, ours?.ap50AllPoint, tolerance));
    out.push(check(pack, `${label} AP@[.5:.95]`, c.ap50_95, ours?.apAllPoint, tolerance));
  }
  return out;
}

/** `inspector evaluate … --out OUT` (the CLI as built), returning metrics.json. */
export function evaluateCli(args: string[], out: string): { metrics: Metrics; stdout: string } {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'inspector.js'), 'evaluate', ...args, '--out', out], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`inspector evaluate ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}${r.stdout.slice(-2000)}`);
  return { metrics: JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as Metrics, stdout: r.stdout };
}

/**
 * The grounding card's own thresholds and prompt (its AP is over the whole curve, not pack.yaml's
 * cut-off), and its boxes on every image: the card measures the model, so the boxes on images the
 * input guard flags (the station withholds those: ~10 of DeepPCB's 300) are kept and measured.
 */
export function groundingCardArgs(): string[] {
  const c = readGroundingCard();
  return ['--prompt', c.prompt, '--box-threshold', String(c.box_threshold), '--text-threshold', String(c.text_threshold), '--with-guarded-boxes'];
}

export function checkTable(checks: Check[]): string {
  const f = (v: number | null) => (v === null || Number.isNaN(v) ? '—' : Number.isInteger(v) ? String(v) : v.toFixed(4));
  return checks.map((c) => `${c.pack.padEnd(26)} ${c.figure.padEnd(34)} card ${f(c.card).padStart(9)}  ours ${f(c.ours).padStart(9)}  ±${c.tolerance.toPrecision(2).padEnd(8)} ${c.ok ? 'ok' : 'OFF'}`).join('\n');
}
