import { useEffect, useRef, useState } from 'react';
import { Layer, Line, Stage, Text } from 'react-konva';
import { useT } from '../i18n';

/** Keeps the konva stage the size of its container. */
function useSize<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(([entry]) => {
      if (entry) setSize({ width: Math.floor(entry.contentRect.width), height: Math.floor(entry.contentRect.height) });
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return { ref, size };
}

export function Viewer() {
  const t = useT();
  const { ref, size } = useSize<HTMLDivElement>();
  const grid = 48;
  const lines = [];
  for (let x = grid; x < size.width; x += grid) lines.push(<Line key={`v${x}`} points={[x, 0, x, size.height]} stroke="#252a33" strokeWidth={1} />);
  for (let y = grid; y < size.height; y += grid) lines.push(<Line key={`h${y}`} points={[0, y, size.width, y]} stroke="#252a33" strokeWidth={1} />);
  return (
    <main className="panel viewer" aria-labelledby="viewer-title">
      <h2 id="viewer-title" className="panel-title">
        {t('viewer.title')}
      </h2>
      <div className="viewer-canvas" ref={ref} data-testid="viewer-canvas">
        {size.width > 0 && (
          <Stage width={size.width} height={size.height}>
            <Layer listening={false}>{lines}</Layer>
            <Layer listening={false}>
              <Text
                text={`${t('viewer.empty')}\n${t('viewer.hint')}`}
                width={size.width}
                y={size.height / 2 - 20}
                align="center"
                fontSize={16}
                lineHeight={1.6}
                fill="#8b93a1"
              />
            </Layer>
          </Stage>
        )}
      </div>
    </main>
  );
}
