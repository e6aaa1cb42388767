/**
 * The evaluation's plots as plain SVG: curves with the live operating point, histograms with the
 * threshold line whose bars open their images, and the confusion matrix whose cells do. SVG (not
 * a canvas chart) so every bar is a focusable element with a name, reachable from the keyboard.
 */
import type { KeyboardEvent, ReactNode } from 'react';

const W = 360;
const H = 240;
const M = { left: 46, right: 10, top: 10, bottom: 36 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

const ticks = (lo: number, hi: number, n = 5) => Array.from({ length: n + 1 }, (_, i) => lo + ((hi - lo) * i) / n);
/** 0 … top in whole steps, at most 5 ticks. */
const countTicks = (top: number) => {
  const step = Math.max(1, Math.ceil(top / 4));
  return Array.from({ length: Math.floor(top / step) + 1 }, (_, i) => i * step);
};
const fmtTick = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));


interface Frame {
  /** Integer ticks on y (counts). */
  counts?: boolean;
  /** Has focusable parts (bars): a group, since an `img` hides its children from assistive technology. */
  interactive?: boolean;
  xDomain: [number, number];
  yDomain: [number, number];
  xLabel: string;
  yLabel: string;
  children: (sx: (v: number) => number, sy: (v: number) => number) => ReactNode;
  label: string;
  testId: string;
}

function PlotFrame({ counts, interactive, xDomain, yDomain, xLabel, yLabel, children, label, testId }: Frame) {
  const sx = (v: number) => M.left + ((v - xDomain[0]) / (xDomain[1] - xDomain[0] || 1)) * PW;
  const sy = (v: number) => M.top + PH - ((v - yDomain[0]) / (yDomain[1] - yDomain[0] || 1)) * PH;
  return (
    <svg viewBox={`0 0 ${W} ${H}`} className="eval-plot" role={interactive ? 'group' : 'img'} aria-label={label} data-testid={testId}>
      <rect x={M.left} y={M.top} width={PW} height={PH} className="plot-area" />
      {ticks(...xDomain).map((v) => (
        <g key={`x${v}`}>
          <line x1={sx(v)} x2={sx(v)} y1={M.top + PH} y2={M.top + PH + 4} className="tick" />
          <text x={sx(v)} y={M.top + PH + 15} textAnchor="middle" className="tick-label">
            {fmtTick(v)}
          </text>
        </g>
      ))}
      {(counts ? countTicks(yDomain[1]) : ticks(...yDomain, 4)).map((v) => (
        <g key={`y${v}`}>
          <line x1={M.left - 4} x2={M.left} y1={sy(v)} y2={sy(v)} className="tick" />
          <text x={M.left - 6} y={sy(v) + 4} textAnchor="end" className="tick-label">
            {counts ? String(v) : fmtTick(v)}
          </text>
        </g>
      ))}
      <text x={M.left + PW / 2} y={H - 4} textAnchor="middle" className="axis-label">
        {xLabel}
      </text>
      <text transform={`translate(11 ${M.top + PH / 2}) rotate(-90)`} textAnchor="middle" className="axis-label">
        {yLabel}
      </text>
      {children(sx, sy)}
    </svg>
  );
}

export interface CurveProps {
  x: number[];
  y: number[];
  xLabel: string;
  yLabel: string;
  label: string;
  testId: string;
  /** The operating point at the current threshold. */
  marker?: [number, number];
  /** Draw y = x (chance for ROC, perfect calibration for reliability). */
  diagonal?: boolean;
  /** Dots at the points (reliability bins) instead of a step line. */
  dots?: boolean;
}

export function Curve({ x, y, xLabel, yLabel, label, testId, marker, diagonal, dots }: CurveProps) {
  return (
    <PlotFrame xDomain={[0, 1]} yDomain={[0, 1]} xLabel={xLabel} yLabel={yLabel} label={label} testId={testId}>
      {(sx, sy) => (
        <>
          {diagonal && <line x1={sx(0)} y1={sy(0)} x2={sx(1)} y2={sy(1)} className="diagonal" />}
          <polyline points={x.map((v, i) => `${sx(v).toFixed(1)},${sy(y[i]!).toFixed(1)}`).join(' ')} className="curve" />
          {dots && x.map((v, i) => <circle key={i} cx={sx(v)} cy={sy(y[i]!)} r={3.5} className="curve-dot" />)}
          {marker && <circle cx={sx(marker[0])} cy={sy(marker[1])} r={6} className="marker" data-testid={`${testId}-marker`} data-x={marker[0]} data-y={marker[1]} />}
        </>
      )}
    </PlotFrame>
  );
}

export interface HistogramProps {
  normal: number[];
  defect: number[];
  range: [number, number];
  threshold: number;
  /** The uncertain band's T1 (the threshold is then T2): a second line. */
  low?: number;
  xLabel: string;
  yLabel: string;
  label: string;
  seriesLabel: [string, string];
  /** The accessible name of a bar: (count, from, to) → text. */
  barName: (n: number, from: string, to: string) => string;
  onOpen: (truth: 0 | 1, bin: number) => void;
  testId: string;
}

const activate = (fn: () => void) => (e: KeyboardEvent) => {
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    fn();
  }
};

export function Histogram({ normal, defect, range, threshold, low, xLabel, yLabel, label, seriesLabel, barName, onOpen, testId }: HistogramProps) {
  const bins = normal.length;
  const top = Math.max(1, ...normal, ...defect);
  const [lo, hi] = range;
  const edge = (k: number) => lo + ((hi - lo) * k) / bins;
  const clamped = Math.min(hi, Math.max(lo, threshold));
  return (
    <figure className="eval-figure">
      <PlotFrame counts interactive xDomain={range} yDomain={[0, top]} xLabel={xLabel} yLabel={yLabel} label={label} testId={testId}>
        {(sx, sy) => {
          const bw = (sx(edge(1)) - sx(edge(0))) / 2;
          return (
            <>
              {([normal, defect] as const).map((series, truth) =>
                series.map((n, k) =>
                  n === 0 ? null : (
                    <rect
                      key={`${truth}-${k}`}
                      x={sx(edge(k)) + truth * bw}
                      y={sy(n)}
                      width={Math.max(1, bw - 1)}
                      height={sy(0) - sy(n)}
                      className={`bar ${truth ? 'bar-defect' : 'bar-normal'}`}
                      role="button"
                      tabIndex={0}
                      aria-label={`${seriesLabel[truth]}: ${barName(n, fmtTick(edge(k)), fmtTick(edge(k + 1)))}`}
                      data-testid={`${testId}-bar-${truth}-${k}`}
                      data-count={n}
                      onClick={() => onOpen(truth as 0 | 1, k)}
                      onKeyDown={activate(() => onOpen(truth as 0 | 1, k))}
                    />
                  ),
                ),
              )}
              <line x1={sx(clamped)} x2={sx(clamped)} y1={M.top} y2={M.top + PH} className="threshold-line" data-testid={`${testId}-threshold`} data-threshold={threshold} />
              {low !== undefined && (
                <line x1={sx(Math.min(hi, Math.max(lo, low)))} x2={sx(Math.min(hi, Math.max(lo, low)))} y1={M.top} y2={M.top + PH} className="threshold-line band-low" data-testid={`${testId}-low`} data-threshold={low} />
              )}
            </>
          );
        }}
      </PlotFrame>
      <figcaption className="legend-row">
        <span className="swatch bar-normal" aria-hidden="true" /> {seriesLabel[0]} <span className="swatch bar-defect" aria-hidden="true" /> {seriesLabel[1]}{' '}
        <span className="swatch threshold-swatch" aria-hidden="true" /> {low !== undefined ? `T1 ${low.toPrecision(4)} · T2 ` : ''}
        {threshold.toPrecision(4)}
      </figcaption>
    </figure>
  );
}

export interface MatrixProps {
  counts: { tp: number; fp: number; tn: number; fn: number };
  classes: [string, string];
  caption: string;
  truthLabel: string;
  decisionLabel: string;
  cellName: (n: number) => string;
  onOpen: (cell: 'tp' | 'fp' | 'tn' | 'fn') => void;
}

export function ConfusionMatrix({ counts, classes, caption, truthLabel, decisionLabel, cellName, onOpen }: MatrixProps) {
  const rows: ['tn' | 'fn', 'fp' | 'tp'][] = [
    ['tn', 'fp'],
    ['fn', 'tp'],
  ];
  return (
    <table className="data-table matrix eval-matrix" data-testid="eval-confusion">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">
            {truthLabel} \ {decisionLabel}
          </th>
          <th scope="col">{classes[0]}</th>
          <th scope="col">{classes[1]}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((cells, r) => (
          <tr key={r}>
            <th scope="row">{classes[r]}</th>
            {cells.map((cell, c) => (
              <td key={cell} className={`num${r === c ? ' diagonal' : ''}${counts[cell] === 0 ? ' zero' : ''}`}>
                <button type="button" className="cell-button" disabled={counts[cell] === 0} aria-label={`${classes[r]} → ${classes[c]}: ${cellName(counts[cell])}`} data-testid={`eval-cell-${cell}`} onClick={() => onOpen(cell)}>
                  {counts[cell]}
                </button>
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
