import { cornerTexts, measureLength, orientationMarkers, roiStats, roiText } from '../viewer/annotations';
import { rectOf, type Measurement } from '../viewer/measurements';
import type { FrameData } from '../viewer/types';

/**
 * The four corner texts and the edge orientation markers over a pane (HTML over the canvas, so the
 * text stays crisp and tests can read it), plus the list of this frame's measurement values.
 */
export function CornerAnnotations(props: { index: number; frame: FrameData; frameIndex: number; count: number; window: { center: number; width: number }; scale: number; measurements: Measurement[] }) {
  const { index, frame } = props;
  const c = cornerTexts({ frame, index: props.frameIndex, count: props.count, window: props.window, scale: props.scale });
  const o = orientationMarkers(frame.orientation);
  const corner = (name: keyof typeof c, lines: string[]) => (
    <div className={`corner corner-${name}`} data-testid={`corner-${name}-${index}`}>
      {lines.map((l, i) => (
        <div key={i}>{l}</div>
      ))}
    </div>
  );
  return (
    <div className="corner-annotations" aria-hidden="false">
      {corner('topLeft', c.topLeft)}
      {corner('topRight', c.topRight)}
      {corner('bottomLeft', c.bottomLeft)}
      {corner('bottomRight', c.bottomRight)}
      {o &&
        (['top', 'bottom', 'left', 'right'] as const).map((side) => (
          <div key={side} className={`orient orient-${side}`} data-testid={`orient-${side}-${index}`}>
            {o[side]}
          </div>
        ))}
      {props.measurements.length > 0 && (
        <ol className="measure-list" data-testid={`measurements-${index}`}>
          {props.measurements.map((m) => {
            const text = m.kind === 'length' ? measureLength(frame, m.a, m.b).text : (() => { const s = roiStats(frame, rectOf(m), m.kind === 'ellipse' ? 'ellipse' : 'rectangle'); return s ? roiText(s, frame.unit).join(' · ') : ''; })();
            return (
              <li key={m.id} data-testid={`measurement-${m.kind}`} data-kind={m.kind} data-points={JSON.stringify([m.a, m.b])}>
                {text}
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}
