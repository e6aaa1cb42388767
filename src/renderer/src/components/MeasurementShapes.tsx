import { Fragment } from 'react';
import { Ellipse, Line, Rect, Text } from 'react-konva';
import { measureLength, roiStats, roiText } from '../viewer/annotations';
import { rectOf, type Measurement } from '../viewer/measurements';
import type { FrameData } from '../viewer/types';

const COLOUR = '#ffd400';

/** Length lines, ROI rectangles and ellipses with their numbers, inside the image-space group (scaled). */
export function MeasurementShapes({ items, frame, scale }: { items: Pick<Measurement, 'id' | 'kind' | 'a' | 'b'>[]; frame: FrameData; scale: number }) {
  const font = 13 / scale;
  return (
    <>
      {items.map((m) => {
        if (m.kind === 'length') {
          const l = measureLength(frame, m.a, m.b);
          return (
            <Fragment key={m.id}>
              <Line points={[m.a.x, m.a.y, m.b.x, m.b.y]} stroke={COLOUR} strokeWidth={2} strokeScaleEnabled={false} listening={false} />
              <Text x={m.b.x + 4 / scale} y={m.b.y + 4 / scale} text={l.text} fontSize={font} fill={COLOUR} shadowColor="black" shadowBlur={2} listening={false} />
            </Fragment>
          );
        }
        const r = rectOf(m);
        const s = roiStats(frame, r, m.kind === 'ellipse' ? 'ellipse' : 'rectangle');
        return (
          <Fragment key={m.id}>
            {m.kind === 'ellipse' ? (
              <Ellipse x={r.x + r.width / 2} y={r.y + r.height / 2} radiusX={r.width / 2} radiusY={r.height / 2} stroke={COLOUR} strokeWidth={2} strokeScaleEnabled={false} listening={false} />
            ) : (
              <Rect {...r} stroke={COLOUR} strokeWidth={2} strokeScaleEnabled={false} listening={false} />
            )}
            {s && <Text x={r.x} y={r.y + r.height + 4 / scale} text={roiText(s, frame.unit).join('\n')} fontSize={font} lineHeight={1.2} fill={COLOUR} shadowColor="black" shadowBlur={2} listening={false} />}
          </Fragment>
        );
      })}
    </>
  );
}
