/**
 * Click-through: the images behind a confusion cell or a histogram bar become the review queue,
 * one case per image, each opened from its (granted) set file and tied to the run the evaluation
 * recorded, so a reviewer's decision on it lands on that run.
 */
import type { EvaluatedPack, TradeoffImage } from '../../../shared/evaluation';
import type { CaseRef } from '../review/types';
import { useReviewStore } from '../state/reviewStore';
import { useNavStore } from '../history/navStore';

const baseName = (p: string) => p.split(/[\\/]/).filter(Boolean).pop() ?? p;

export function casesOf(pack: EvaluatedPack, images: readonly TradeoffImage[], threshold: number): CaseRef[] {
  return images.map((i) => {
    const flagged = i.score >= threshold;
    return {
      id: `evaluation-${pack.name}-${i.runId ?? i.path}`,
      title: `${baseName(i.path)} · ${i.label} → ${flagged ? 'defect' : 'pass'} ${i.score.toFixed(3)}`,
      origin: 'batch',
      frames: [],
      path: i.path,
      ...(i.runId !== null ? { runId: i.runId } : {}),
      findings: {
        verdict: i.predicted,
        probabilities: [],
        models: [{ pack: pack.name, version: pack.version, displayName: { en: pack.name }, task: `evaluation · ${pack.scoreUnit} ${i.score.toPrecision(4)}` }],
        ...(i.runId !== null ? { runId: String(i.runId) } : {}),
        decision: flagged ? 'defect' : 'pass',
      },
      status: 'inspected',
    } satisfies CaseRef;
  });
}

/** In score order, highest first (the queue reads like the histogram, right to left). */
export function openInViewer(pack: EvaluatedPack, images: readonly TradeoffImage[], threshold: number): void {
  if (!images.length) return;
  const sorted = [...images].sort((a, b) => b.score - a.score);
  useReviewStore.getState().setCases(casesOf(pack, sorted, threshold), 0);
  useNavStore.getState().setView('review');
}
