/**
 * A history row back in the viewer: the recorded image (opened by run id, so no folder grant is
 * needed), the model's verdict and regions as findings, and the latest review as the starting
 * draft, so a correction begins from what was decided last.
 */
import { useMaskStore } from '../mask/maskStore';
import { recordedSegmentationFindings } from '../mask/findings';
import { addMask } from '../mask/load';
import { call } from '../api';
import type { Output } from '../../../shared/contract';
import { heatmapRef } from '../review/inspect';
import { frameRef } from '../review/sources';
import type { CaseRef, CaseStatus, Draft, LocalText } from '../review/types';
import { useAppStore } from '../state/appStore';
import { useReviewStore } from '../state/reviewStore';
import type { BoxData } from '../viewer/types';
import { fileName, formatTime } from './format';
import { useNavStore } from './navStore';
import { recordedMeasurements, useMeasureStore } from '../viewer/measurements';
import { useGroundingStore } from '../review/grounding';

export type RunDetail = Output<'history.run'>;
type RecordedImage = Output<'images.openRun'>;
type Region = RunDetail['run']['regions'][number];

/** The badge's reason on a reopened run (the live result names the cause; the run records only the flag). */
export const NOT_VALIDATED_WHEN_INSPECTED = 'not validated on this station when inspected: no evaluation of these pack files was recorded then';

export const caseIdOfRun = (runId: number) => `run-${runId}`;

const STATUS: Record<RunDetail['reviews'][number]['decision'], CaseStatus> = { accept: 'accepted', reject: 'rejected', uncertain: 'uncertain', override: 'overridden' };

function boxOf(r: Region, id: string, source: BoxData['source'], origin: string): BoxData {
  const [x, y, width, height] = r.box;
  return { id, source, label: r.label, ...(r.score !== undefined ? { score: r.score } : {}), origin, rect: { x, y, width, height } };
}

/** The review that stands: the one nothing supersedes (corrections keep the old ones in the history). */
export function effectiveReview(detail: RunDetail) {
  return detail.reviews.filter((r) => r.supersededBy === null).at(-1) ?? null;
}

/**
 * The input guard's flag as recorded: the image row's validation carries the code and the reasons
 * (joined by '; '), the run row `scores.outOfDistribution = 1`. Either says the model ran outside
 * its pack's envelope, so the reopened case shows the same warning as the live inspection.
 */
export function recordedGuard(detail: RunDetail): { code: string; reasons: string[] } | undefined {
  const v = detail.image.validation;
  const flagged = detail.run.scores['outOfDistribution'] === 1 || v.code === 'INPUT_OUT_OF_DISTRIBUTION';
  if (!flagged) return undefined;
  const reasons = v.code === 'INPUT_OUT_OF_DISTRIBUTION' && v.message ? v.message.split('; ').filter(Boolean) : [];
  const g = detail.run.scores['guard'];
  const t = detail.run.thresholds['guard'];
  if (reasons.length === 0 && g !== undefined && t !== undefined) reasons.push(`guard statistic ${g.toPrecision(3)} beyond the pack's threshold ${t.toPrecision(3)}`);
  return { code: 'INPUT_OUT_OF_DISTRIBUTION', reasons };
}

/** `display`: the pack's class names (its card), for a segmentation run's findings. */
export function caseFromRun(detail: RunDetail, image: RecordedImage, display?: (label: string) => LocalText | undefined): CaseRef {
  const { run } = detail;
  const source = `${run.packName}@${run.packVersion}`;
  const probabilities = Object.entries(run.probabilities).sort((a, b) => b[1] - a[1]);
  const review = effectiveReview(detail);
  const h = image.heatmap;
  const guard = recordedGuard(detail);
  const seg = recordedSegmentationFindings(run, { width: detail.image.width ?? image.frames[0]?.width ?? 0, height: detail.image.height ?? image.frames[0]?.height ?? 0 }, display);
  const heatmap = h && heatmapRef(h, { name: run.packName, version: run.packVersion, inputSize: h.inputSize }, caseIdOfRun(run.id), h);
  return {
    id: caseIdOfRun(run.id),
    title: `${detail.case.key} · ${fileName(detail.image.sourcePath)}`,
    origin: 'history',
    runId: run.id,
    frames: image.frames.map((f, i) => frameRef(f, { path: image.path, frame: i })),
    // The recorded raw map, drawn exactly as after the live inspection (same placement and scale).
    ...(heatmap ? { heatmaps: [heatmap] } : {}),
    // Grounding runs' boxes are detector boxes; every model box keeps its run and index, and its
    // latest per-box review, so the reopened case shows (and can change) those decisions.
    boxes: run.regions.map((r, i) => {
      const decision = detail.boxReviews?.filter((b) => b.boxIndex === i).at(-1)?.decision;
      return { ...boxOf(r, `${caseIdOfRun(run.id)}-region-${i}`, run.groundingPrompt ? 'detector' : 'region', source), runId: run.id, index: i, ...(decision ? { decision } : {}) };
    }),
    findings: {
      verdict: run.verdict,
      probabilities: seg ? [] : probabilities.map(([label, p]) => ({ label, p })),
      ...(seg ? { segmentation: seg } : {}),
      models: [{ pack: run.packName, version: run.packVersion, displayName: { en: run.packName }, task: `#${run.id} · ${run.provider}` }],
      runId: String(run.id),
      ...(guard ? { guard } : {}),
      // A tiled run: the tile count recorded with its scores (the map spans the full image).
      ...(run.scores['tiles'] !== undefined ? { tiling: { tiles: run.scores['tiles'] } } : {}),
      // Validated status as recorded with the run (audited in its thresholds): a run of pack files
      // never evaluated on this station stays marked when reopened, as it was when inspected.
      ...(run.thresholds['validated'] === 0 ? { validation: { validated: false, reason: NOT_VALIDATED_WHEN_INSPECTED } } : {}),
      // The case verdict the line was given with this run, as stored (or recomputed, and said so).
      ...(detail.caseVerdict
        ? { integrated: { verdict: detail.caseVerdict.verdict, drivers: [detail.caseVerdict.source === 'stored' ? `stored: ${detail.caseVerdict.policy ?? ''}` : 'recomputed: no stored case verdict in this history'] } }
        : {}),
    },
    status: review ? STATUS[review.decision] : 'inspected',
  };
}

export function draftFromReview(detail: RunDetail): Draft | undefined {
  const review = effectiveReview(detail);
  if (!review) return undefined;
  const id = caseIdOfRun(detail.run.id);
  return {
    decision: review.decision,
    ...(review.decision === 'override' && review.label ? { overrideClass: review.label } : {}),
    note: review.note ?? '',
    boxes: review.boxes.map((b, i) => boxOf(b, `${id}-review-${review.id}-${i}`, 'reviewer', review.operatorName ?? review.operatorId)),
    dirty: false,
    savedAt: formatTime(review.createdAt),
    savedId: String(review.id),
  };
}

export async function reopenRun(runId: number): Promise<void> {
  const [detail, image] = await Promise.all([call('history.run', { runId }), call('images.openRun', { runId })]);
  // Segmentation runs: the pack's class names and colours for the findings card and the mask layer.
  const segmentation = Object.keys(detail.run.scores).some((k) => k.startsWith('areaPx.'));
  const card = segmentation ? await call('packs.card', { name: detail.run.packName }).catch(() => undefined) : undefined;
  const display = (id: string) => card?.labels.find((l) => l.id === id)?.display;
  const ref = caseFromRun(detail, image, display);
  const r = useReviewStore.getState();
  const p = detail.run.groundingPrompt;
  if (p) {
    const th = detail.run.thresholds;
    useGroundingStore.getState().setInfo(ref.id, {
      pack: detail.run.packName,
      version: detail.run.packVersion,
      prompt: p,
      phrases: p.split(/[.\n]/).map((x) => x.trim()).filter(Boolean),
      boxThreshold: th['box'] ?? 0,
      textThreshold: th['text'] ?? 0,
      runId: detail.run.id,
      boxes: detail.run.regions.length,
    });
  }
  // Unsaved work on this case wins over the recorded review.
  const seed = draftFromReview(detail);
  if (seed && !r.drafts[ref.id]?.dirty) {
    useReviewStore.setState((s) => ({ drafts: { ...s.drafts, [ref.id]: seed } }));
    useMeasureStore.getState().seed(ref.id, recordedMeasurements(effectiveReview(detail)?.measurements ?? []));
  }
  const at = r.cases.findIndex((c) => c.id === ref.id);
  if (at >= 0) r.setCases(r.cases.map((c, i) => (i === at ? ref : c)), at);
  else r.setCases([...r.cases, ref], r.cases.length);
  // Segmentation runs: the mask recorded with the run is drawn again; runs recorded before masks
  // were kept (areas and regions only) say so in the layer panel.
  const source = `${detail.run.packName}@${detail.run.packVersion}`;
  if (image.mask) {
    const classes = image.mask.classes.map((c) => ({ ...c, ...(display(c.label) ? { display: display(c.label)! } : {}) }));
    await addMask(ref.id, { id: `${ref.id}|${detail.run.packName}|mask`, mediaId: image.mask.mediaId, source, width: image.mask.width, height: image.mask.height, classes }, image.frames[0]);
  } else if (segmentation) useMaskStore.getState().markUnrecorded(ref.id, source);
  if (image.heatmapError) useAppStore.getState().setError(image.heatmapError);
  if (!image.sha256Matches) {
    useAppStore.getState().setError({ code: 'HISTORY_IMAGE_CHANGED', message: `The file ${image.path} changed since run ${runId} was recorded.` });
  }
  useNavStore.getState().setView('review');
}
