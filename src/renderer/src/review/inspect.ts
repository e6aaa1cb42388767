/**
 * Runs the selected pack on the current case (`inspect.run`) and adds what it found to the case:
 * the heatmap as a layer placed by the pack's input size (the engine stretches the image to it),
 * regions as boxes, and the findings card.
 */
import { call } from '../api';
import { useAppStore } from '../state/appStore';
import { useReviewStore } from '../state/reviewStore';
import { useViewerStore } from '../state/viewerStore';
import { fetchTyped } from '../viewer/media';
import type { BoxData } from '../viewer/types';
import { toHeatmap } from './loadCase';
import type { CaseRef, Findings, HeatmapRef } from './types';

type RunResult = Awaited<ReturnType<typeof call<'inspect.run'>>>;
type PackCard = Awaited<ReturnType<typeof call<'packs.card'>>>;
type ImageResult = RunResult['results'][number];

/** How the CAM family is usually written (pytorch-grad-cam's names); anomaly methods pass through. */
const METHOD_NAMES: Record<string, string> = {
  gradcam: 'Grad-CAM',
  gradcampp: 'Grad-CAM++',
  xgradcam: 'XGrad-CAM',
  hirescam: 'HiResCAM',
  layercam: 'LayerCAM',
  eigencam: 'EigenCAM',
  scorecam: 'Score-CAM',
};

type PublishedMap = NonNullable<ImageResult['heatmap']>;

/**
 * A published map (live from `inspect.run`, or a recorded one from `images.openRun`) → the viewer's
 * layer record: placed by the pack's input, which the engine stretches the image to, so both paths
 * draw the same layer.
 */
export function heatmapRef(
  h: PublishedMap,
  pack: { name: string; version: string; inputSize?: readonly [number, number] | undefined },
  caseId: string,
  extra: { targetLabel?: string | undefined; pixelThreshold?: number | undefined } = {},
): HeatmapRef | undefined {
  if (!h.valid) return undefined;
  const [inputWidth, inputHeight] = pack.inputSize ?? [h.width, h.height];
  return {
    mediaId: h.mediaId,
    id: `${caseId}|${pack.name}|${h.method}`,
    kind: h.kind === 'anomaly' ? 'anomaly' : 'gradcam',
    method: METHOD_NAMES[h.method] ?? h.method,
    source: `${pack.name}@${pack.version}`,
    ...(extra.targetLabel ? { className: extra.targetLabel } : {}),
    width: h.width,
    height: h.height,
    mapping: { kind: 'stretch', inputWidth, inputHeight },
    scale: {
      min: h.scale.low,
      max: h.scale.high,
      kind: h.scale.source === 'pack' ? 'calibrated' : 'per-image',
      ...(extra.pixelThreshold !== undefined ? { threshold: extra.pixelThreshold } : {}),
    },
  };
}

export function heatmapRefOf(r: ImageResult, caseId: string): HeatmapRef | undefined {
  return r.heatmap ? heatmapRef(r.heatmap, r.pack, caseId, { targetLabel: r.explanation?.targetLabel, pixelThreshold: r.anomaly?.pixelThreshold }) : undefined;
}

/** The "Intended use" section of a model card, as plain text (first paragraph or list). */
export function intendedUse(card: string | undefined): string | undefined {
  const m = card?.match(/(?:^|\n)##\s+Intended use\s*\n([\s\S]*?)(?=\n##\s|$)/);
  if (!m) return undefined;
  const text = m[1]!.replace(/[*`>]/g, '').replace(/^\s*-\s+/gm, '').replace(/\s+/g, ' ').trim();
  return text.length > 400 ? `${text.slice(0, 397)}…` : text;
}

export function findingsOf(r: ImageResult, run: RunResult, card?: PackCard): Findings {
  const cls = r.classification;
  const display = (id: string) => card?.labels.find((l) => l.id === id)?.display;
  const verdict = cls?.topLabel ?? r.drivingLabel ?? r.decision;
  const probabilities = cls
    ? cls.probabilities.map((p, i) => {
        const label = cls.labels[i] ?? `#${i}`;
        const d = display(label);
        return { label, p, ...(d ? { displayName: d } : {}) };
      })
    : [{ label: r.anomaly?.anomalous ? 'anomalous' : 'normal', p: r.anomaly?.score ?? r.defectScore ?? 0 }];
  const c = run.cases.find((x) => x.images.includes(r.source)) ?? run.cases[0];
  return {
    verdict,
    probabilities,
    ...(c
      ? {
          integrated: {
            verdict: c.verdict.verdict,
            drivers: Object.entries(c.verdict.sides).map(([side, s]) => `${side}: ${s.decision} ${s.defectScore.toFixed(3)}${s.drivingLabel ? ` (${s.drivingLabel})` : ''}`),
          },
        }
      : {}),
    models: [
      {
        pack: r.pack.name,
        version: r.pack.version,
        task: r.pack.kind,
        displayName: card?.title ?? { en: r.pack.name },
        ...(intendedUse(card?.modelCard) ? { intendedUse: { en: intendedUse(card?.modelCard)! } } : {}),
        ...(card?.provenance.metrics ? { metrics: Object.entries(card.provenance.metrics).map(([name, value]) => ({ name, value })) } : {}),
      },
    ],
    ...(r.runId !== undefined ? { runId: String(r.runId) } : {}),
  };
}

export function regionBoxes(r: ImageResult, caseId: string): BoxData[] {
  return r.regions.map((g, i) => ({
    id: `${caseId}|region|${i}`,
    source: 'region',
    label: r.drivingLabel ?? r.explanation?.targetLabel ?? 'region',
    score: g.peak,
    origin: `${r.pack.name}@${r.pack.version}`,
    rect: { x: g.x, y: g.y, width: g.width, height: g.height },
  }));
}

export async function inspectCase(c: CaseRef, pack?: string): Promise<void> {
  if (!c.path) return;
  // A chosen pack wins; otherwise the case's config routes the image to its side's pack.
  const run = await call('inspect.run', { paths: [c.path], ...(pack ? { pack } : c.config ? { config: c.config } : {}) });
  const r = run.results.find((x) => x.source === c.path) ?? run.results[0];
  if (!r) return;
  if (r.error) throw Object.assign(new Error(r.error.message), { code: r.error.code });
  const viewer = useViewerStore.getState();
  const scene = viewer.scenes[c.id];
  const base = useAppStore.getState().info?.mediaBase ?? (await call('app.info', {})).mediaBase;
  const ref = heatmapRefOf(r, c.id);
  const heatmaps = ref ? [toHeatmap(ref, (await fetchTyped(base, ref.mediaId, 'float32')) as Float32Array, scene?.frames[0])] : [];
  viewer.addResults(c.id, heatmaps, regionBoxes(r, c.id));
  const card = await call('packs.card', { name: r.pack.name }).catch(() => undefined);
  const review = useReviewStore.getState();
  review.setFindings(c.id, findingsOf(r, run, card));
  // The run is now in the history: decisions on this case are recorded against it.
  review.setCases(
    review.cases.map((x) => (x.id === c.id ? { ...x, status: 'inspected' as const, ...(r.runId !== undefined ? { runId: r.runId } : {}) } : x)),
    review.current,
  );
}
