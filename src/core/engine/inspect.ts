/**
 * One inspection run: files and folders in, per-image results and per-case integrated verdicts
 * out. Images are grouped into cases (inspector.yaml), routed to the pack of their side (internal /
 * external) — or to every pack when the side cannot be told — and inspected in batches.
 */
import { extname, resolve } from 'node:path';
import { walkFiles, type WalkResult, type WalkSkip } from '../files/walk';
import { InspectorError } from '../../shared/errors';
import type { ExplainMethod } from '../explain';
import type { LoadedPack } from '../packs/load';
import { groupCases } from '../verdict/cases';
import type { LoadedConfig } from '../verdict/config';
import { integrate, type Side, type SideResult, type Verdict } from '../verdict/verdict';
import type { Engine, InspectionResult } from './engine';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp', '.dcm', '.dicom']);

export interface ImageResult extends InspectionResult {
  caseId: string;
  side: Side;
  configSha256: string;
}

export interface CaseResult {
  id: string;
  images: string[];
  verdict: Verdict;
}

export interface InspectReport {
  results: ImageResult[];
  cases: CaseResult[];
  configSha256: string;
  totalMs: number;
  /** Folder entries that were not inspected (FIFOs, dangling links, loops, links out of a grant), each with its code. */
  skipped: WalkSkip[];
}

/**
 * Files as given, folders walked recursively (sorted, hidden entries skipped) by the shared walker:
 * only regular files, links resolved once, loops and links out of `roots` reported in `skipped`.
 * A path named directly that does not exist is an error for the whole request (a typo, not a bad entry).
 */
export function walkInputs(paths: readonly string[], options: { roots?: readonly string[] } = {}): WalkResult {
  const r = walkFiles(paths, { accept: (name) => IMAGE_EXT.has(extname(name).toLowerCase()), ...(options.roots ? { roots: options.roots } : {}) });
  const missing = r.skipped.find((s) => s.code === 'FILE_NOT_FOUND' && paths.some((p) => resolve(p) === s.path));
  if (missing) throw new InspectorError('FILE_NOT_FOUND', `No such file or folder: ${missing.path}`, { path: missing.path });
  return r;
}

export function expandPaths(paths: readonly string[], options: { roots?: readonly string[] } = {}): string[] {
  return walkInputs(paths, options).files;
}

export function packSide(pack: LoadedPack): Side {
  return pack.manifest.side ?? (pack.manifest.kind === 'anomaly' ? 'external' : 'internal');
}

/** The worst result of one side of a case decides that side. */
function sideSummary(results: ImageResult[]): SideResult | undefined {
  const ok = results.filter((r) => r.decision !== 'error' && r.defectScore !== undefined);
  if (ok.length === 0) return undefined;
  const worst = ok.reduce((a, b) => (b.defectScore! > a.defectScore! ? b : a));
  const decision = ok.some((r) => r.decision === 'defect') ? 'defect' : ok.some((r) => r.decision === 'uncertain') ? 'uncertain' : 'pass';
  return { defectScore: worst.defectScore!, decision, ...(worst.drivingLabel ? { drivingLabel: worst.drivingLabel } : {}), source: worst.source };
}

export async function inspect(
  engine: Engine,
  req: { paths: readonly string[]; packs: readonly LoadedPack[]; config: LoadedConfig; method?: ExplainMethod; baseDir?: string; roots?: readonly string[] },
): Promise<InspectReport> {
  const t0 = performance.now();
  if (req.packs.length === 0) throw new InspectorError('NO_PACK', 'No model pack to inspect with: give --pack or configure sides in inspector.yaml.');
  const { files, skipped } = walkInputs(req.paths, req.roots ? { roots: req.roots } : {});
  const cases = groupCases(files, req.config.config, req.baseDir);
  const caseOf = new Map<string, { id: string; side?: Side }>();
  for (const c of cases) for (const img of c.images) caseOf.set(img.path, { id: c.id, ...(img.side ? { side: img.side } : {}) });

  // Route: an image of a known side goes to that side's packs; otherwise to every pack.
  const work = new Map<LoadedPack, string[]>();
  for (const f of files) {
    const side = caseOf.get(f)?.side;
    const matching = side ? req.packs.filter((p) => packSide(p) === side) : [];
    for (const p of matching.length ? matching : req.packs) work.set(p, [...(work.get(p) ?? []), f]);
  }
  const results: ImageResult[] = [];
  for (const [pack, paths] of work) {
    const rs = await engine.inspectFiles(pack, paths, req.method ? { method: req.method } : {});
    for (const r of rs) {
      results.push({ ...r, caseId: caseOf.get(r.source)?.id ?? r.source, side: packSide(pack), configSha256: req.config.sha256 });
    }
  }
  const order = new Map(files.map((f, i) => [f, i]));
  results.sort((a, b) => (order.get(a.source) ?? 0) - (order.get(b.source) ?? 0));

  const caseResults: CaseResult[] = cases.map((c) => {
    const mine = results.filter((r) => r.caseId === c.id);
    const sides: Partial<Record<Side, SideResult>> = {};
    for (const side of ['internal', 'external'] as const) {
      const s = sideSummary(mine.filter((r) => r.side === side));
      if (s) sides[side] = s;
    }
    return { id: c.id, images: c.images.map((i) => i.path), verdict: integrate(sides, req.config.config, req.config.sha256) };
  });
  return { results, cases: caseResults, configSha256: req.config.sha256, totalMs: performance.now() - t0, skipped };
}
