/**
 * Runs the selected pack on the current case (`inspect.run`) and adds what it found to the case:
 * the heatmap as a layer placed by the pack's input size (the engine stretches the image to it),
 * regions as boxes, and the findings card.
 */
import { call } from '../api';
import type { EXPLAIN_METHODS } from '../../../shared/inspect';
import { useAppStore } from '../state/appStore';
import { useReviewStore } from '../state/reviewStore';
import { replacedBy, useViewerStore } from '../state/viewerStore';
import { fetchTyped } from '../viewer/media';
import type { BoxData, Scene, TrustInfo } from '../viewer/types';
import { toHeatmap } from './loadCase';
import { forgetCase } from './caseCache';
import { useGroundingStore } from './grounding';
import { useExplainStore, type ExplainInfo } from './explainChoice';
import { casesFromFolder } from './sources';
import type { CaseRef, Findings, HeatmapRef, SideDriver } from './types';
import { methodDisplayName } from '../../../shared/methods';
import type { InputMapping } from '../viewer/heatmap';
import type { MaskRef } from '../mask/types';
import { segmentationFindings } from '../mask/findings';
import { addMask } from '../mask/load';

type RunResult = Awaited<ReturnType<typeof call<'inspect.run'>>>;
type PackCard = Awaited<ReturnType<typeof call<'packs.card'>>>;
type ImageResult = RunResult['results'][number];


type PublishedMap = NonNullable<ImageResult['heatmap']>;

export type MapResize = InputMapping['kind'];

/**
 * Where a map lies on its image. `inputSize` is the engine's [height, width] of the model input
 * (PackRef.inputSize, recorded the same way). A tiled pack's map is already stitched onto the full
 * image (src/core/engine/tiling.ts): its grid spans the image, so it is stretched over it whatever
 * the pack's resize. Otherwise the pack's preprocessing is undone: stretch, centre crop (shorter
 * side resized to the input's shorter side) or letterbox.
 */
export function mapPlacement(inputSize: readonly [number, number] | undefined, map: { width: number; height: number }, resize: MapResize, tiled: boolean): InputMapping {
  if (tiled) return { kind: 'stretch', inputWidth: map.width, inputHeight: map.height };
  const [inputHeight, inputWidth] = inputSize ?? [map.height, map.width];
  if (resize === 'center-crop') return { kind: 'center-crop', inputWidth, inputHeight, resize: Math.min(inputWidth, inputHeight) };
  return { kind: resize, inputWidth, inputHeight };
}

/**
 * A published map (live from `inspect.run`, or a recorded one from `images.openRun`) → the viewer's
 * layer record: placed by the pack's input, which the engine stretches the image to, so both paths
 * draw the same layer.
 */
export function heatmapRef(
  h: PublishedMap,
  pack: { name: string; version: string; inputSize?: readonly [number, number] | undefined },
  caseId: string,
  extra: { targetLabel?: string | undefined; pixelThreshold?: number | undefined; resize?: MapResize | undefined; tiled?: boolean | undefined; trust?: TrustInfo | undefined } = {},
): HeatmapRef | undefined {
  if (!h.valid) return undefined;
  return {
    mediaId: h.mediaId,
    id: `${caseId}|${pack.name}|${h.method}`,
    kind: h.kind === 'anomaly' ? 'anomaly' : 'gradcam',
    method: methodDisplayName(h.method),
    source: `${pack.name}@${pack.version}`,
    ...(extra.targetLabel ? { className: extra.targetLabel } : {}),
    ...(extra.trust ? { trust: trustInfo(extra.trust) } : {}),
    width: h.width,
    height: h.height,
    mapping: mapPlacement(pack.inputSize, h, extra.resize ?? 'stretch', extra.tiled === true),
    scale: {
      min: h.scale.low,
      max: h.scale.high,
      kind: h.scale.source === 'pack' ? 'calibrated' : 'per-image',
      ...(extra.pixelThreshold !== undefined ? { threshold: extra.pixelThreshold } : {}),
    },
  };
}

export function heatmapRefOf(r: ImageResult, caseId: string): HeatmapRef | undefined {
  return r.heatmap ? heatmapRef(r.heatmap, r.pack, caseId, { targetLabel: r.explanation?.targetLabel, pixelThreshold: r.anomaly?.pixelThreshold, tiled: r.tiling !== undefined, trust: r.explanation?.trust }) : undefined;
}

/** The legend's part of a recorded or live trust figure. */
const trustInfo = (t: TrustInfo): TrustInfo => ({ verdict: t.verdict, figure: t.figure, topPercent: t.topPercent, ...(t.reason ? { reason: t.reason } : {}) });

/** A segmentation result's published class mask → the mask layer's record, with the pack's class names. */
export function maskRefOf(r: ImageResult, caseId: string, card?: PackCard): MaskRef | undefined {
  const s = r.segmentation;
  if (!s?.mask) return undefined;
  const display = (id: string) => card?.labels.find((l) => l.id === id)?.display;
  return {
    id: `${caseId}|${r.pack.name}|mask`,
    mediaId: s.mask.mediaId,
    source: `${r.pack.name}@${r.pack.version}`,
    width: s.mask.width,
    height: s.mask.height,
    classes: s.classes.map((c) => ({ ...c, ...(display(c.label) ? { display: display(c.label)! } : {}) })),
  };
}

/** The "Intended use" section of a model card, as plain text (first paragraph or list). */
export function intendedUse(card: string | undefined): string | undefined {
  const m = card?.match(/(?:^|\n)##\s+(?:Intended use|사용 목적|용도)\s*\n([\s\S]*?)(?=\n##\s|$)/);
  if (!m) return undefined;
  const text = m[1]!.replace(/[*`>]/g, '').replace(/^\s*-\s+/gm, '').replace(/\s+/g, ' ').trim();
  return text.length > 400 ? `${text.slice(0, 397)}…` : text;
}

export function findingsOf(r: ImageResult, run: RunResult, card?: PackCard): Findings {
  const cls = r.classification;
  const display = (id: string) => card?.labels.find((l) => l.id === id)?.display;
  // Outside the pack's envelope the model's class is no answer (input guard): the case reads uncertain.
  const verdict = r.guard?.outOfDistribution ? 'uncertain' : (cls?.topLabel ?? r.drivingLabel ?? r.decision);
  const probabilities = cls
    ? cls.probabilities.map((p, i) => {
        const label = cls.labels[i] ?? `#${i}`;
        const d = display(label);
        return { label, p, ...(d ? { displayName: d } : {}) };
      })
    : [{ label: r.anomaly?.anomalous ? 'anomalous' : 'normal', p: r.anomaly?.score ?? r.defectScore ?? 0 }];
  const seg = r.segmentation ? segmentationFindings(r.segmentation, display) : undefined;
  const c = run.cases.find((x) => x.images.includes(r.source)) ?? run.cases[0];
  const failed = run.results.filter((x) => x.error && (!c || c.images.includes(x.source))).map((x) => ({ path: x.source, code: x.error!.code, message: x.error!.message }));
  return {
    verdict,
    // A segmentation model gives areas per class, not class probabilities (the card says what it found).
    probabilities: seg ? [] : probabilities,
    ...(seg ? { segmentation: seg } : {}),
    ...(failed.length ? { failed } : {}),
    ...(c
      ? {
          integrated: {
            verdict: c.verdict.verdict,
            drivers: Object.entries(c.verdict.sides).map(([side, s]) => ({ side: side as SideDriver['side'], decision: s.decision as SideDriver['decision'], score: s.defectScore, ...(s.drivingLabel ? { label: s.drivingLabel } : {}) })),
          },
        }
      : {}),
    ...(r.guard?.outOfDistribution ? { guard: { code: r.guard.code ?? 'INPUT_OUT_OF_DISTRIBUTION', reasons: r.guard.reasons } } : {}),
    models: [
      {
        pack: r.pack.name,
        version: r.pack.version,
        task: r.pack.kind,
        displayName: card?.title ?? { en: r.pack.name },
        ...(intendedUse(card?.modelCard) ? { intendedUse: { en: intendedUse(card?.modelCard)!, ...(intendedUse(card?.modelCardKo) ? { ko: intendedUse(card?.modelCardKo)! } : {}) } } : {}),
        ...(card?.provenance.metrics ? { metrics: Object.entries(card.provenance.metrics).map(([name, value]) => ({ name, value })) } : {}),
      },
    ],
    ...(r.runId !== undefined ? { runId: String(r.runId) } : {}),
    ...(r.decision === 'pass' || r.decision === 'defect' || r.decision === 'uncertain' ? { decision: r.decision } : {}),
    ...(cls ? { thresholds: cls.thresholds } : {}),
    ...(r.validation ? { validation: { validated: r.validation.validated, reason: r.validation.reason } } : {}),
    ...(r.tiling ? { tiling: { tiles: r.tiling.tiles.length, tile: r.tiling.tile, overlap: r.tiling.overlap, score: r.tiling.score } } : {}),
  };
}

export function regionBoxes(r: ImageResult, caseId: string): BoxData[] {
  // A grounding pack's regions are its detections, in the same order: each box keeps its phrase.
  // Ids are per pack, so several systems' boxes live side by side on one case.
  return r.regions.map((g, i) => ({
    id: `${caseId}|${r.pack.name}|${i}`,
    source: r.detections ? 'detector' : 'region',
    label: r.detections?.[i]?.label ?? r.drivingLabel ?? r.explanation?.targetLabel ?? 'region',
    score: g.peak,
    origin: `${r.pack.name}@${r.pack.version}`,
    rect: { x: g.x, y: g.y, width: g.width, height: g.height },
    index: i,
    ...(r.runId !== undefined ? { runId: r.runId } : {}),
  }));
}

/** What a grounding run used (shown with the DET layer, and the start of a prompt edit). */
export interface GroundingInfo {
  pack: string;
  version: string;
  prompt: string;
  phrases: string[];
  boxThreshold: number;
  textThreshold: number;
  runId?: number;
  boxes: number;
}

export function groundingOf(r: ImageResult): GroundingInfo | undefined {
  const g = r.grounding;
  if (!g) return undefined;
  return { pack: r.pack.name, version: r.pack.version, prompt: g.prompt, phrases: g.phrases, boxThreshold: g.boxThreshold, textThreshold: g.textThreshold, boxes: r.detections?.length ?? 0, ...(r.runId !== undefined ? { runId: r.runId } : {}) };
}

/** What one run found on one case: kept on the case so it shows whenever the case is opened. */
export interface CaseResults {
  heatmap?: HeatmapRef;
  /** Segmentation packs: the class mask layer. */
  mask?: MaskRef;
  boxes: BoxData[];
  findings: Findings;
  /** The engine's decision on the image (pass / defect / uncertain) and the label that drove it. */
  decision: string;
  runId?: number;
  /** The pack that ran (`name@version`): a new run replaces that pack's boxes only. */
  origin: string;
  pack: { name: string; kind: string };
  /** The explanation method the run used (after any fallback), as the history records it. */
  method?: string;
  grounding?: GroundingInfo;
  /** The map's method and layers, and the pack's candidate layers (the explanation selector). */
  explain?: ExplainInfo;
  guard?: string;
}

/** Extra inputs of one run: a grounding prompt and thresholds (a reviewer's edit). */
export interface RunExtras {
  grounding?: { prompt?: string; boxThreshold?: number; textThreshold?: number };
  /** The reviewer's explanation method and layers (explanation selector). */
  method?: string;
  camLayers?: { layer?: string; fuse?: string[] };
}

/** Runs the pack (or the case's config) on one case; a per-image failure throws with its code. */
export async function runOnCase(c: CaseRef, pack?: string, extras: RunExtras = {}): Promise<CaseResults | undefined> {
  if (!c.path) return undefined;
  // A chosen pack wins; otherwise the case's config routes the image to its side's pack.
  const run = await call('inspect.run', { paths: [c.path], ...(pack ? { pack } : c.config ? { config: c.config } : {}), ...(extras.grounding ? { grounding: extras.grounding } : {}),
    ...(extras.method ? { method: extras.method as (typeof EXPLAIN_METHODS)[number] } : {}),
    ...(extras.camLayers && pack ? { camLayers: extras.camLayers } : {}),
  });
  // What the run skipped (not images, entries the walker refused) is shown on the case, never dropped,
  // even when nothing in it was an image to inspect.
  useReviewStore.getState().setSkipped(c.id, (run.skipped ?? []).map(({ path, code, message }) => ({ path, code, message })));
  // A file case has its own result; a folder case (Inspect folder…) shows the image on screen, or
  // the first image that was inspected — the case verdict covers them all, failed ones included.
  const shown = c.frames[0]?.source?.path;
  const r = run.results.find((x) => x.source === c.path) ?? run.results.find((x) => x.source === shown && !x.error) ?? run.results.find((x) => !x.error) ?? run.results[0];
  if (!r) return undefined;
  if (r.error) throw Object.assign(new Error(r.error.message), { code: r.error.code });
  const card = await call('packs.card', { name: r.pack.name }).catch(() => undefined);
  const heatmap = heatmapRefOf(r, c.id);
  const mask = maskRefOf(r, c.id, card);
  const grounding = groundingOf(r);
  const ex = r.explanation;
  const explain: ExplainInfo | undefined = ex && card?.explanation
    ? { pack: r.pack.name, method: ex.method, target: ex.target, layers: ex.layers ?? [ex.target], candidates: card.explanation.candidates, ...(ex.fallbackReason ? { fallbackReason: ex.fallbackReason } : {}) }
    : undefined;
  return {
    ...(explain ? { explain } : {}),
    ...(heatmap ? { heatmap } : {}),
    ...(mask ? { mask } : {}),
    boxes: regionBoxes(r, c.id),
    findings: findingsOf(r, run, card),
    decision: r.decision,
    ...(r.runId !== undefined ? { runId: r.runId } : {}),
    origin: `${r.pack.name}@${r.pack.version}`,
    pack: { name: r.pack.name, kind: r.pack.kind },
    ...(r.explanation?.method ? { method: r.explanation.method } : r.anomaly?.format ? { method: r.anomaly.format } : {}),
    ...(grounding ? { grounding } : {}),
    ...(r.guard?.outOfDistribution ? { guard: r.guard.code ?? 'INPUT_OUT_OF_DISTRIBUTION' } : {}),
  };
}



/**
 * Adds a run's results to a case. The case record keeps them (a case not loaded yet builds its
 * layers from them, as a reopened history case does); a scene already loaded gets them at once,
 * without taking the active layer from the case on screen when it is another one.
 */
/** `replaceExplanation`: the run re-made the pack's map with another method/layer: the old map goes. */
export async function applyResults(c: CaseRef, res: CaseResults, opts: { keepFindings?: boolean; replaceExplanation?: boolean } = {}): Promise<void> {
  const replaceMaps = opts.replaceExplanation && res.heatmap?.kind === 'gradcam' ? (id: string) => id.startsWith(`${c.id}|${res.pack.name}|`) : undefined;
  const review = useReviewStore.getState();
  const held = review.cases.find((x) => x.id === c.id) ?? c;
  if (res.grounding) useGroundingStore.getState().setInfo(c.id, res.grounding);
  if (res.explain) useExplainStore.getState().setInfo(c.id, res.explain);
  // A side run (another system on the same image) adds its layer and boxes; the case's own findings
  // and the run its decisions are recorded against stay.
  if (!opts.keepFindings) {
    review.setFindings(c.id, res.findings);
    // The queue shows the case's verdict: a case with a failed image is INCOMPLETE, whatever the rest gave.
    const incomplete = res.findings.integrated?.verdict === 'INCOMPLETE';
    review.setAi(c.id, incomplete ? { decision: 'incomplete', label: 'INCOMPLETE' } : { decision: res.decision, label: res.findings.verdict });
  }
  // The run is now in the history: decisions on this case are recorded against it.
  review.patchCase(c.id, {
    ...(opts.keepFindings ? {} : { status: 'inspected' as const, findings: res.findings }),
    heatmaps: [...(held.heatmaps ?? []).filter((h) => h.id !== res.heatmap?.id && !replaceMaps?.(h.id)), ...(res.heatmap ? [res.heatmap] : [])],
    boxes: [...(held.boxes ?? []).filter((b) => !replacedBy(res.origin)(b)), ...res.boxes],
    ...(res.runId !== undefined && !opts.keepFindings ? { runId: res.runId } : {}),
  });
  const scene = useViewerStore.getState().scenes[c.id] ?? (await loadingScene(c.id));
  if (!scene) return;
  if (res.mask) await addMask(c.id, res.mask, scene.frames[0]);
  const ref = res.heatmap;
  const base = ref && (useAppStore.getState().info?.mediaBase ?? (await call('app.info', {})).mediaBase);
  const heatmaps = ref && base ? [toHeatmap(ref, (await fetchTyped(base, ref.mediaId, 'float32')) as Float32Array, scene.frames[0])] : [];
  const viewer = useViewerStore.getState();
  const onScreen = viewer.panes.some((p) => p.sceneId === c.id);
  const active = viewer.activeLayer;
  viewer.addResults(c.id, heatmaps, res.boxes, res.origin, replaceMaps);
  if (!onScreen) useViewerStore.setState({ activeLayer: active });
}


/**
 * The scene of a case with no scene yet. A load begun before the run would show the case without
 * the results: the cached copy is dropped so the next load builds from the record; and when the
 * case is the current one (its load may be in flight), the scene it is about to show is awaited.
 */
function loadingScene(caseId: string): Promise<Scene | undefined> {
  forgetCase(caseId);
  const r = useReviewStore.getState();
  if (r.cases[r.current]?.id !== caseId) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const done = (scene: Scene | undefined) => {
      clearTimeout(timer);
      stop();
      resolve(scene);
    };
    const stop = useViewerStore.subscribe((v) => v.scenes[caseId] && done(v.scenes[caseId]));
    const timer = setTimeout(() => done(undefined), 30_000);
  });
}

export async function inspectCase(c: CaseRef, pack?: string): Promise<void> {
  const res = await runOnCase(c, pack);
  if (res) await applyResults(c, res);
}

/**
 * "Inspect folder…": the folder dialog in main (choosing is the grant), then `inspect.run` on the
 * folder itself, as `inspector inspect DIR` does — one case over all its images, whose verdict is
 * INCOMPLETE when any image failed, with what the walk skipped shown beside it. The case shows the
 * folder's first image that opens; the folder's own entries stay out of the queue.
 */
export async function chooseFolderCase(): Promise<CaseRef | undefined> {
  const { paths } = await call('files.choose', { kind: 'folder' });
  const dir = paths[0];
  if (!dir) return undefined;
  const opened = await casesFromFolder(dir);
  const first = opened.cases.find((x) => x.frames.length);
  const name = dir.split(/[\\/]/).filter(Boolean).pop() ?? dir;
  const folderCase: CaseRef = { id: dir, title: `${name}/ (${opened.cases.length})`, origin: 'folder', frames: first ? [first.frames[0]!] : [], path: dir };
  const review = useReviewStore.getState();
  const others = review.cases.filter((x) => x.id !== dir);
  review.setCases([...others, folderCase], others.length);
  return folderCase;
}
