/**
 * A feed image at a glance: a small PNG of the run's first frame (station.thumbnail — main checks
 * the run belongs to the case and re-hashes the file) with the flagged regions outlined, so an
 * inspector sees *what* was flagged without opening the case. Fetched once per run and kept for the
 * room's life; a failed one says why in its title instead of showing nothing.
 */
import { useEffect } from 'react';
import { create } from 'zustand';
import { call } from '../api';
import { mediaBase } from '../review/caseCache';
import { toErrorInfo, type ErrorInfo } from '../../../shared/errors';
import type { StationThumbnail } from '../../../shared/contract';

const SHOWN = 72;

type Entry = { state: 'loading' } | { state: 'ready'; url: string; thumb: StationThumbnail } | { state: 'error'; error: ErrorInfo };

interface ThumbState {
  byRun: Record<number, Entry>;
  fetch(resultId: string, runId: number): void;
  /** The media store dropped the bytes (it keeps the newest few hundred): ask again. */
  forget(runId: number): void;
}

export const useLineThumbs = create<ThumbState>((set, get) => ({
  byRun: {},
  fetch(resultId, runId) {
    if (get().byRun[runId]) return;
    set((s) => ({ byRun: { ...s.byRun, [runId]: { state: 'loading' } } }));
    void Promise.all([call('station.thumbnail', { resultId, runId }), mediaBase()]).then(
      ([thumb, base]) => set((s) => ({ byRun: { ...s.byRun, [runId]: { state: 'ready', url: `${base}/${thumb.mediaId}`, thumb } } })),
      (e: unknown) => set((s) => ({ byRun: { ...s.byRun, [runId]: { state: 'error', error: toErrorInfo(e) } } })),
    );
  },
  forget(runId) {
    set((s) => {
      const byRun = { ...s.byRun };
      delete byRun[runId];
      return { byRun };
    });
  },
}));

export function LineThumb({ resultId, runId, label }: { resultId: string; runId: number; label: string }) {
  const entry = useLineThumbs((s) => s.byRun[runId]);
  const fetch = useLineThumbs((s) => s.fetch);
  const forget = useLineThumbs((s) => s.forget);
  useEffect(() => fetch(resultId, runId), [fetch, resultId, runId]);
  if (!entry || entry.state === 'loading') return <span className="line-thumb line-thumb-empty" data-testid="line-thumb" data-state="loading" aria-hidden />;
  if (entry.state === 'error')
    return (
      <span className="line-thumb line-thumb-empty" data-testid="line-thumb" data-state="error" data-code={entry.error.code} title={`${entry.error.code}: ${entry.error.message}`}>
        ?
      </span>
    );
  const { thumb, url } = entry;
  // Shown at most SHOWN px on its long side; the outlines are drawn in the thumbnail's own pixels.
  const k = Math.min(1, SHOWN / Math.max(thumb.width, thumb.height));
  const w = Math.round(thumb.width * k);
  const h = Math.round(thumb.height * k);
  const kx = thumb.width / thumb.imageWidth;
  const ky = thumb.height / thumb.imageHeight;
  return (
    <span className="line-thumb" data-testid="line-thumb" data-state="ready" data-regions={thumb.regions.length} style={{ width: w, height: h }}>
      <img src={url} width={w} height={h} alt={label} onError={() => forget(runId)} />
      {thumb.regions.length > 0 && (
        <svg width={w} height={h} viewBox={`0 0 ${thumb.width} ${thumb.height}`} aria-hidden>
          {thumb.regions.map((r, i) => (
            <rect key={i} x={r.x * kx} y={r.y * ky} width={Math.max(1, r.width * kx)} height={Math.max(1, r.height * ky)} />
          ))}
        </svg>
      )}
    </span>
  );
}
