import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * One uPlot canvas sized to its container. uPlot writes sizes through the CSSOM (never style
 * attributes), so it stays inside the CSP; options are rebuilt when `deps` change.
 */
export function UPlotChart({ build, data, label, testId, deps }: { build(width: number): uPlot.Options; data: uPlot.AlignedData; label: string; testId: string; deps: unknown[] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = () => Math.max(200, Math.floor(el.clientWidth));
    const chart = new uPlot(build(width()), data, el);
    const ro = new ResizeObserver(() => {
      if (Math.abs(chart.width - width()) > 2) chart.setSize({ width: width(), height: chart.height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      chart.destroy();
    };
  }, deps);
  return <div ref={box} className="chart" role="img" aria-label={label} data-testid={testId} />;
}
