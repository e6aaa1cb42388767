/**
 * uPlot options for the dashboard: daily counts (bars + errors line) and the score histogram with
 * the pack's decision threshold drawn as a vertical line. Colours come from the CSS variables so
 * high contrast applies to the canvases too; series differ by shape and dash, not colour alone.
 */
import uPlot from 'uplot';

export function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

function axis(stroke: string, grid: string, extra: uPlot.Axis = {}): uPlot.Axis {
  return { stroke, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, ...extra };
}

/** `YYYY-MM-DD` (the station's calendar day) → seconds at local noon, uPlot's time unit. */
export function dayToSeconds(day: string): number {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y!, m! - 1, d!, 12).getTime() / 1000;
}

const pad2 = (n: number) => String(n).padStart(2, '0');
/** Seconds → the local day `YYYY-MM-DD` (the dashboard's days are local calendar days). */
export function dayLabel(sec: number): string {
  const d = new Date(sec * 1000);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

/** `days`: first and last x (seconds) of the data, so one day of data does not stretch the axis. */
export function dailyOptions(width: number, labels: { images: string; errors: string }, days: [number, number]): uPlot.Options {
  const text = cssVar('--text', '#e6e9ef');
  const grid = cssVar('--border', '#2d333e');
  const bars = uPlot.paths.bars!({ size: [0.6, 40] });
  return {
    width,
    height: 220,
    legend: { show: true },
    // Room on the right for the last day's label (it is centred on its tick).
    padding: [12, 44, 0, 0],
    // Half a day either side of the data: uPlot widens a single point's time range to ~1000 days.
    scales: { x: { time: true, range: () => [days[0] - 43_200, days[1] + 43_200] }, n: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
    // Ticks on whole days, weeks, months: the data is per day.
    // Days written as everywhere else in the app (YYYY-MM-DD), not uPlot's locale-dependent "12/1".
    axes: [axis(text, grid, { incrs: [86_400, 2 * 86_400, 7 * 86_400, 30 * 86_400, 365 * 86_400], values: (_u, ticks) => ticks.map(dayLabel) }), axis(text, grid, { scale: 'n' })],
    series: [
      { value: (_u, v) => (v === null ? '' : dayLabel(v)) },
      { label: labels.images, scale: 'n', stroke: cssVar('--accent', '#4aa3ff'), fill: cssVar('--accent', '#4aa3ff') + '66', paths: bars, points: { show: false } },
      { label: labels.errors, scale: 'n', stroke: cssVar('--danger', '#ff6b6b'), width: 2, dash: [6, 4], points: { show: true, size: 6 } },
    ],
  };
}

/** Histogram bins: left edges on [0, 1] (the store keeps fixed-width bins over the score range). */
export function binEdges(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i / n);
}

export function histogramOptions(width: number, threshold: number | null, labels: { count: string; threshold: string }): uPlot.Options {
  const text = cssVar('--text', '#e6e9ef');
  const grid = cssVar('--border', '#2d333e');
  const line = cssVar('--focus', '#ffd166');
  return {
    width,
    height: 220,
    legend: { show: false },
    cursor: { points: { show: false } },
    scales: { x: { time: false, range: [0, 1] }, n: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
    axes: [axis(text, grid, { values: (_u, ticks) => ticks.map((v) => v.toFixed(1)) }), axis(text, grid, { scale: 'n' })],
    series: [{}, { label: labels.count, scale: 'n', stroke: cssVar('--accent', '#4aa3ff'), fill: cssVar('--accent', '#4aa3ff') + '88', paths: uPlot.paths.bars!({ size: [1, 100], align: 1 }), points: { show: false } }],
    hooks: {
      draw: [
        (u) => {
          if (threshold === null || !Number.isFinite(threshold)) return;
          const x = Math.round(u.valToPos(threshold, 'x', true));
          const { top, height } = u.bbox;
          const ctx = u.ctx;
          ctx.save();
          ctx.strokeStyle = line;
          ctx.lineWidth = 2 * uPlot.pxRatio;
          ctx.setLineDash([8 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
          ctx.setLineDash([]);
          ctx.fillStyle = line;
          ctx.font = `${12 * uPlot.pxRatio}px sans-serif`;
          ctx.fillText(`${labels.threshold} ${threshold.toFixed(3)}`, x + 4 * uPlot.pxRatio, top + 14 * uPlot.pxRatio);
          ctx.restore();
        },
      ],
    },
  };
}
