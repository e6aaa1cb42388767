/**
 * One inspection run: files and folders in, per-image results and per-case integrated verdicts
 * out. Images are grouped into cases (inspector.yaml), routed to the pack of their side (internal /
 * external) — or to every pack when the side cannot be told — and inspected in batches.
 */
import { statSync } from 'node:fs';
import { dirname, extname, resolve, sep } from 'node:path';
import { walkFiles } from '../files/walk';
import { IMAGE_EXT } from '../imaging/extensions';
import { InspectorError } from '../../shared/errors';
import type { ExplainMethod } from '../explain';
import type { GroundingOptions } from '../grounding/inspect';
import type { LoadedPack } from '../packs/load';
import { packRefersTo } from '../packs/resolve';
import { groupCases } from '../verdict/cases';
import type { LoadedConfig } from '../verdict/config';
import { integrate, withFailures, type FailedImage, type Side, type SideResult, type Verdict } from '../verdict/verdict';
import type { StationCalibration } from './calibration';
import type { Engine, InspectionResult } from './engine';


export interface ImageResult extends InspectionResult {
  caseId: string;
  side: Side;
  configSha256: string;
  /** "findings": a side's grounding pack (inspector.yaml `sides.<side>.grounding`): boxes and label scores, not the side's decision. */
  role?: 'findings';
}

export interface CaseResult {
  id: string;
  images: string[];
  verdict: Verdict;
  /** Images of the case outside their pack's input envelope (INPUT_OUT_OF_DISTRIBUTION). */
  flags?: { code: string; source: string; pack: string; reasons: string[]; role?: 'findings' }[];
}

/**
 * A file in a folder that was not inspected because it is not an image (the shape the shared folder
 * walker returns). Reported and recorded, but it does not make its case incomplete.
 */
export interface SkippedInput {
  path: string;
  code: string;
  message: string;
}

export interface InputListing {
  files: string[];
  skipped: SkippedInput[];
}

export interface InspectReport {
  results: ImageResult[];
  cases: CaseResult[];
  /** Folder entries not inspected — not images (INPUT_NOT_AN_IMAGE), or unusable (FIFO, dangling link, loop, link out of a grant: WALK_*) — with the case each would belong to. */
  skipped: (SkippedInput & { caseId: string })[];
  configSha256: string;
  totalMs: number;
  /** Execution providers asked for (null: the default order) and those that actually ran. */
  providers?: { requested: string[] | null; used: string[] };
}

/**
 * Files as given, folders walked recursively (sorted) by the shared walker (core/files/walk.ts):
 * only regular files are returned; FIFOs, sockets, devices, dangling links, loops and (with `roots`,
 * the renderer's grants) links leaving the grant are skipped with their WALK_* code, and the rest
 * proceed. A file in a folder whose name does not say image is skipped and listed with
 * INPUT_NOT_AN_IMAGE; hidden entries are skipped unlisted (dot files are the system's, not the
 * line's). A file named explicitly is always inspected; one that does not exist is FILE_NOT_FOUND
 * for the whole request (a typo, not a bad entry).
 */
export function listInputs(paths: readonly string[], options: { roots?: readonly string[] } = {}): InputListing {
  const notImages: SkippedInput[] = [];
  const r = walkFiles(paths, {
    accept: (name) => IMAGE_EXT.has(extname(name).toLowerCase()),
    onRejected: (path, name) =>
      notImages.push({ path, code: 'INPUT_NOT_AN_IMAGE', message: `Skipped ${name}: its name does not end in an image extension (${[...IMAGE_EXT].join(' ')}).` }),
    ...(options.roots ? { roots: options.roots } : {}),
  });
  const missing = r.skipped.find((s) => s.code === 'FILE_NOT_FOUND' && paths.some((p) => resolve(p) === s.path));
  if (missing) throw new InspectorError('FILE_NOT_FOUND', `No such file or folder: ${missing.path}`, { path: missing.path });
  return { files: r.files, skipped: [...notImages, ...r.skipped] };
}

export function expandPaths(paths: readonly string[], options: { roots?: readonly string[] } = {}): string[] {
  return listInputs(paths, options).files;
}

/** Skips with the case each would have belonged to, so a record names the part it was found with. */
export function skippedWithCases(all: readonly SkippedInput[], config: LoadedConfig, baseDir?: string): (SkippedInput & { caseId: string })[] {
  // The run's own inspector.yaml beside the images is not a stray file.
  const skipped = config.path ? all.filter((s) => s.path !== resolve(config.path!)) : all;
  if (skipped.length === 0) return [];
  const caseOf = new Map<string, string>();
  for (const c of groupCases(skipped.map((s) => s.path), config.config, baseDir)) for (const img of c.images) caseOf.set(img.path, c.id);
  return skipped.map((s) => ({ ...s, caseId: caseOf.get(s.path) ?? s.path }));
}

/** The deepest folder containing every input (a folder input counts as itself). */
export function commonDir(paths: readonly string[]): string | undefined {
  const dirs = paths.map((p) => {
    const abs = resolve(p);
    return statSync(abs, { throwIfNoEntry: false })?.isDirectory() ? abs : dirname(abs);
  });
  if (dirs.length === 0) return undefined;
  let common = dirs[0]!;
  for (const d of dirs.slice(1)) {
    while (d !== common && !d.startsWith(common.endsWith(sep) ? common : common + sep)) {
      const up = dirname(common);
      if (up === common) break;
      common = up;
    }
  }
  return common;
}

export function packSide(pack: LoadedPack): Side {
  return pack.manifest.side ?? (pack.manifest.kind === 'anomaly' ? 'external' : 'internal');
}

/**
 * The worst result of one side of a case decides that side; findings results (a side's grounding
 * pack) add their label scores but decide only when the side has nothing else.
 */
function sideSummary(results: ImageResult[]): SideResult | undefined {
  const all = results.filter((r) => r.decision !== 'error' && r.defectScore !== undefined);
  const deciding = all.filter((r) => r.role !== 'findings');
  const ok = deciding.length ? deciding : all;
  if (ok.length === 0) return undefined;
  const worst = ok.reduce((a, b) => (b.defectScore! > a.defectScore! ? b : a));
  const decision = ok.some((r) => r.decision === 'defect') ? 'defect' : ok.some((r) => r.decision === 'uncertain') ? 'uncertain' : 'pass';
  const labelScores: Record<string, number> = {};
  const note = (label: string, score: number) => (labelScores[label] = Math.max(labelScores[label] ?? 0, score));
  for (const r of all) {
    // Boxes on an image outside its pack's envelope are no evidence: the image's flag says so.
    if (r.guard?.outOfDistribution) continue;
    for (const d of r.detections ?? []) note(d.label, d.score);
  }
  return {
    defectScore: worst.defectScore!,
    decision,
    ...(worst.drivingLabel ? { drivingLabel: worst.drivingLabel } : {}),
    source: worst.source,
    ...(Object.keys(labelScores).length ? { labelScores } : {}),
  };
}

export type FindingsPart = 'with' | 'skip' | 'only';

export async function inspect(
  engine: Engine,
  req: {
    paths: readonly string[];
    packs: readonly LoadedPack[];
    config: LoadedConfig;
    method?: ExplainMethod;
    baseDir?: string;
    roots?: readonly string[];
    grounding?: GroundingOptions;
    calibration?: StationCalibration;
    /**
     * A side's grounding findings (never deciding): `with` (default) runs them beside the side's
     * pack; `skip` leaves them out (the station's decision, published without waiting for them);
     * `only` runs just them (the station's detail step after the decision is published).
     */
    findings?: FindingsPart;
    /**
     * Which deciding packs run: `all` (default), or `explained` — only those that draw an explanation
     * map (classifiers), for the station's map drawn after the decision was published.
     */
    deciding?: 'all' | 'explained';
  },
): Promise<InspectReport> {
  const t0 = performance.now();
  if (req.packs.length === 0) throw new InspectorError('NO_PACK', 'No model pack to inspect with: give --pack or configure sides in inspector.yaml.');
  const { files, skipped } = listInputs(req.paths, req.roots ? { roots: req.roots } : {});
  const cases = groupCases(files, req.config.config, req.baseDir);
  const caseOf = new Map<string, { id: string; side?: Side }>();
  for (const c of cases) for (const img of c.images) caseOf.set(img.path, { id: c.id, ...(img.side ? { side: img.side } : {}) });

  // A side's grounding pack (sides.<side>.grounding) runs on that side's images for findings only;
  // a pack named only there is not routed as a side pack of its own.
  const sidesCfg = req.config.config.sides;
  const refers = packRefersTo;
  const findingsOnly = (p: LoadedPack) =>
    (['internal', 'external'] as const).some((s) => refers(p, sidesCfg[s]?.grounding?.pack)) && !(['internal', 'external'] as const).some((s) => refers(p, sidesCfg[s]?.pack));
  const routable = req.packs.filter((p) => !findingsOnly(p));
  // Route: an image of a known side goes to that side's packs; otherwise to every pack.
  const work = new Map<LoadedPack, string[]>();
  const findings = new Map<Side, { pack: LoadedPack; prompt?: string; paths: string[] }>();
  for (const f of files) {
    const side = caseOf.get(f)?.side;
    const matching = side ? routable.filter((p) => packSide(p) === side) : [];
    for (const p of matching.length ? matching : routable.length ? routable : req.packs) work.set(p, [...(work.get(p) ?? []), f]);
    const g = side ? sidesCfg[side]?.grounding : undefined;
    const gp = g ? req.packs.find((p) => refers(p, g.pack)) : undefined;
    if (side && g && gp) {
      const entry = findings.get(side) ?? { pack: gp, ...(g.prompt ? { prompt: g.prompt } : {}), paths: [] };
      entry.paths.push(f);
      findings.set(side, entry);
    }
  }
  const part = req.findings ?? 'with';
  if (part === 'skip') findings.clear();
  if (part === 'only') work.clear();
  if (req.deciding === 'explained') for (const p of [...work.keys()]) if (p.manifest.kind !== 'classifier') work.delete(p);
  const results: ImageResult[] = [];
  const base = { ...(req.method ? { method: req.method } : {}), ...(req.roots ? { roots: req.roots } : {}), ...(req.calibration ? { calibration: req.calibration } : {}) };
  for (const [pack, paths] of work) {
    const rs = await engine.inspectFiles(pack, paths, { ...base, ...(req.grounding ? { grounding: req.grounding } : {}) });
    for (const r of rs) {
      results.push({ ...r, caseId: caseOf.get(r.source)?.id ?? r.source, side: packSide(pack), configSha256: req.config.sha256 });
    }
  }
  for (const [side, f] of findings) {
    // The side's prompt from inspector.yaml unless the run gives its own.
    const grounding = { ...(f.prompt ? { prompt: f.prompt } : {}), ...req.grounding };
    const rs = await engine.inspectFiles(f.pack, f.paths, { ...base, grounding });
    for (const r of rs) results.push({ ...r, caseId: caseOf.get(r.source)?.id ?? r.source, side, configSha256: req.config.sha256, role: 'findings' });
  }
  const order = new Map(files.map((f, i) => [f, i]));
  results.sort((a, b) => (order.get(a.source) ?? 0) - (order.get(b.source) ?? 0));

  const caseResults: CaseResult[] = cases.map((c) => {
    const mine = results.filter((r) => r.caseId === c.id);
    const verdictOf = (rs: ImageResult[]) => {
      const sides: Partial<Record<Side, SideResult>> = {};
      for (const side of ['internal', 'external'] as const) {
        const s = sideSummary(rs.filter((r) => r.side === side));
        if (s) sides[side] = s;
      }
      return integrate(sides, req.config.config, req.config.sha256);
    };
    let verdict = verdictOf(mine);
    const ood = mine.filter((r) => r.guard?.outOfDistribution);
    const flags = ood.map((r) => ({ code: r.guard!.code ?? 'INPUT_OUT_OF_DISTRIBUTION', source: r.source, pack: r.pack.name, reasons: r.guard!.reasons, ...(r.role ? { role: r.role } : {}) }));
    // Findings (a side's grounding pack) never decide: their flag is listed on the case, and it
    // weighs on the verdict only where the side has no deciding result of its own.
    const deciding = new Set(mine.filter((r) => r.role !== 'findings' && !r.error).map((r) => r.side));
    const weighing = ood.filter((r) => r.role !== 'findings' || !deciding.has(r.side));
    if (weighing.length) {
      // An out-of-distribution image is no evidence either way: the case keeps a defect only when the
      // images inside their packs' envelopes show it; otherwise it is UNCERTAIN, never PASS.
      const trusted = verdictOf(mine.filter((r) => !weighing.includes(r)));
      verdict = trusted.verdict.endsWith('_DEFECT') ? trusted : { ...verdict, verdict: 'UNCERTAIN' };
    }
    // No verdict without evidence: any image of the case that failed makes it INCOMPLETE (or stricter).
    const failed: FailedImage[] = mine
      .filter((r) => r.error)
      .map((r) => ({ source: r.source, code: r.error!.code, message: r.error!.message, side: r.side, pack: r.pack.name }));
    verdict = withFailures(verdict, failed, req.config.config);
    return { id: c.id, images: c.images.map((i) => i.path), verdict, ...(flags.length ? { flags } : {}) };
  });
  return {
    results,
    cases: caseResults,
    skipped: skippedWithCases(skipped, req.config, req.baseDir),
    configSha256: req.config.sha256,
    totalMs: performance.now() - t0,
  };
}
