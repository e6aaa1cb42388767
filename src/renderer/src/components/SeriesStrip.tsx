import { useEffect, useRef } from 'react';
import { useT } from '../i18n';
import { mediaBase } from '../review/caseCache';
import { frameDataOf } from '../review/loadCase';
import type { CaseRef } from '../review/types';
import { useReviewStore } from '../state/reviewStore';
import { useViewerStore } from '../state/viewerStore';
import { fetchTyped } from '../viewer/media';
import { renderView } from '../viewer/render';
import { fitViewport } from '../viewer/viewport';
import { defaultWindow, frameStats } from '../viewer/voi';

const THUMB = 72;

/** The series a case sits with: the cases opened from the same folder (one per DICOM series). */
export function seriesGroup(cases: CaseRef[], current: CaseRef | undefined): CaseRef[] {
  if (!current) return [];
  const hash = current.id.lastIndexOf('#');
  if (hash < 0) return [current];
  const prefix = current.id.slice(0, hash + 1);
  return cases.filter((c) => c.id.startsWith(prefix) && c.frames.length > 0);
}

/** The middle slice of a series, windowed by its default window into a small canvas. */
function Thumb({ c }: { c: CaseRef }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    let live = true;
    const f = c.frames[Math.floor(c.frames.length / 2)];
    if (!f || f.channels !== 1) return;
    // A large frame's preview (every k-th value) is plenty for 72 px.
    const id = f.preview?.mediaId ?? f.mediaId;
    void mediaBase()
      .then((base) => fetchTyped(base, id, f.dtype))
      .then((data) => {
        const canvas = ref.current;
        if (!live || !canvas) return;
        const frame = { ...frameDataOf(f, data), ...(f.preview ? { step: f.preview.step } : {}) };
        const img = new ImageData(THUMB, THUMB);
        renderView(frame, defaultWindow(frame, frameStats(frame)), frame.invert, fitViewport(frame.width, frame.height, THUMB, THUMB, 0), new Uint32Array(img.data.buffer), THUMB, THUMB, {});
        canvas.getContext('2d')?.putImageData(img, 0, 0);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [c]);
  return <canvas ref={ref} width={THUMB} height={THUMB} aria-hidden="true" />;
}

/**
 * PACS series strip: one thumbnail per series of the study (click to show it), and for a
 * multi-slice series a slice scrollbar that moves the active pane through its slices.
 */
export function SeriesStrip() {
  const t = useT();
  const cases = useReviewStore((s) => s.cases);
  const current = useReviewStore((s) => s.cases[s.current]);
  const pane = useViewerStore((s) => s.panes[s.activePane]);
  const count = useViewerStore((s) => (pane ? (s.scenes[pane.sceneId]?.frames.length ?? 0) : 0));
  const group = seriesGroup(cases, current);
  if (group.length <= 1 && count <= 1) return null;
  const frame = pane?.frameIndex ?? 0;
  return (
    <div className="series-strip" role="group" aria-label={t('series.title')} data-testid="series-strip">
      <ol className="series-thumbs">
        {group.map((c) => {
          const h = c.frames[0]?.header;
          return (
            <li key={c.id}>
              <button
                type="button"
                className={c.id === current?.id ? 'series current' : 'series'}
                aria-current={c.id === current?.id ? 'true' : undefined}
                onClick={() => useReviewStore.getState().goTo(cases.indexOf(c))}
                data-testid="series-thumb"
                data-frames={c.frames.length}
                title={c.title}
              >
                <Thumb c={c} />
                <span>
                  {h?.seriesNumber ? `Se ${h.seriesNumber} · ` : ''}
                  {h?.modality ?? ''} {c.frames.length}
                </span>
              </button>
            </li>
          );
        })}
      </ol>
      {count > 1 && (
        <label className="slice-scroll">
          {t('series.slice')} {frame + 1}/{count}
          <input
            type="range"
            min={1}
            max={count}
            step={1}
            value={frame + 1}
            onChange={(e) => useViewerStore.getState().stepFrame(Number(e.target.value) - 1 - (useViewerStore.getState().panes[useViewerStore.getState().activePane]?.frameIndex ?? 0))}
            data-testid="slice-scroll"
            aria-valuetext={`${frame + 1} / ${count}`}
          />
        </label>
      )}
    </div>
  );
}
