/**
 * Viewer conventions of PACS viewers (OHIF, RadiAnt): the four corner texts from the DICOM header,
 * orientation markers from Image Orientation (Patient), and the numbers of the two measurement
 * tools (length in mm from Pixel Spacing, rectangle ROI statistics in modality units). Pure
 * functions over the frame record, so unit tests and the E2E test check the same maths.
 */
import type { FrameData, Rect } from './types';
import { realOf } from './voi';

/** DICOM DA `YYYYMMDD` → `YYYY-MM-DD` (left as is when it is not one). */
export function formatDicomDate(da: string | undefined): string {
  if (!da) return '';
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim());
  return m ? `${m[1]}-${m[2]}-${m[3]}` : da;
}

/** PN `Family^Given^Middle` → `Family, Given Middle`. */
export function formatPersonName(pn: string | undefined): string {
  if (!pn) return '';
  const [family = '', given = '', middle = ''] = pn.split('=')[0]!.split('^');
  const rest = [given, middle].filter(Boolean).join(' ');
  return rest ? `${family}, ${rest}` : family;
}

export interface CornerInput {
  frame: FrameData;
  /** 0-based index of the shown frame in its scene, and the scene's frame count. */
  index: number;
  count: number;
  window: { center: number; width: number };
  /** Screen pixels per image pixel. */
  scale: number;
}

export interface CornerTexts {
  topLeft: string[];
  topRight: string[];
  bottomLeft: string[];
  bottomRight: string[];
}

/** Slice position along the slice normal (mm): the projection of Image Position on it, else Slice Location. */
export function slicePosition(f: FrameData): number | undefined {
  if (f.position && f.orientation) {
    const [a, b, c, d, e, g] = f.orientation;
    const n = [b * g - c * e, c * d - a * g, a * e - b * d];
    return f.position[0] * n[0]! + f.position[1] * n[1]! + f.position[2] * n[2]!;
  }
  return f.header?.sliceLocation;
}

const mm = (v: number) => `${v.toFixed(1)} mm`;

export function cornerTexts({ frame, index, count, window, scale }: CornerInput): CornerTexts {
  const h = frame.header ?? {};
  const topLeft = [formatPersonName(h.patientName), h.patientId ? `ID ${h.patientId}` : ''].filter(Boolean);
  const topRight = [h.studyDescription ?? '', formatDicomDate(h.studyDate), [h.modality, h.seriesNumber ? `Se ${h.seriesNumber}` : ''].filter(Boolean).join(' '), h.seriesDescription ?? ''].filter(Boolean);
  const pos = slicePosition(frame);
  const bottomLeft = [
    `Im ${index + 1}/${count}${h.instanceNumber ? ` (#${h.instanceNumber})` : ''}`,
    pos !== undefined ? `Pos ${mm(pos)}` : '',
    h.sliceThickness !== undefined ? `Th ${mm(h.sliceThickness)}` : '',
  ].filter(Boolean);
  const bottomRight = [`W ${Math.round(window.width)} L ${Math.round(window.center)}`, `Zoom ${Math.round(scale * 100)}%`];
  return { topLeft, topRight, bottomLeft, bottomRight };
}

/**
 * The patient direction a vector points to, as DICOM letters (L/R, P/A, H/F), strongest axis first,
 * up to two letters for oblique vectors (PS3.3 C.7.6.1.1.1 orientation convention: +x = L, +y = P,
 * +z = H).
 */
export function directionLetters(v: readonly number[]): string {
  const axes = [
    { pos: 'L', neg: 'R', v: v[0]! },
    { pos: 'P', neg: 'A', v: v[1]! },
    { pos: 'H', neg: 'F', v: v[2]! },
  ].sort((a, b) => Math.abs(b.v) - Math.abs(a.v));
  let out = '';
  for (const a of axes) {
    // Components under ~0.3 (≈ 17° off the plane) are noise for a reader; leave them out.
    if (Math.abs(a.v) < 0.3 || out.length === 2) break;
    out += a.v > 0 ? a.pos : a.neg;
  }
  return out;
}

/** Markers at the middle of each edge: where the row (left→right) and column (top→bottom) vectors point. */
export function orientationMarkers(o: FrameData['orientation']): { left: string; right: string; top: string; bottom: string } | undefined {
  if (!o) return undefined;
  const row = o.slice(0, 3);
  const col = o.slice(3, 6);
  const neg = (v: number[]) => v.map((x) => -x);
  return { right: directionLetters(row), left: directionLetters(neg(row)), bottom: directionLetters(col), top: directionLetters(neg(col)) };
}

export interface Point {
  x: number;
  y: number;
}

/** Length between two image points: mm with Pixel Spacing (row spacing along y, column along x), else px. */
export function measureLength(f: FrameData, a: Point, b: Point): { value: number; unit: 'mm' | 'px'; text: string } {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  if (f.pixelSpacing) {
    const v = Math.hypot(dx * f.pixelSpacing.column, dy * f.pixelSpacing.row);
    return { value: v, unit: 'mm', text: `${v.toFixed(1)} mm` };
  }
  const v = Math.hypot(dx, dy);
  return { value: v, unit: 'px', text: `${v.toFixed(1)} px` };
}

export interface RoiStats {
  count: number;
  mean: number;
  sd: number;
  min: number;
  max: number;
  /** Area in mm² with Pixel Spacing, else px². */
  area: number;
  areaUnit: 'mm²' | 'px²';
}

/**
 * Statistics of the real values (modality LUT applied: HU for CT) of the pixels whose centres lie
 * inside the rectangle, padding excluded. Population SD (n), as OHIF and RadiAnt report it.
 */
export function roiStats(f: FrameData, r: Rect, shape: 'rectangle' | 'ellipse' = 'rectangle'): RoiStats | undefined {
  if (f.channels !== 1 || f.step) return undefined;
  // Ellipse: the one inscribed in the rectangle; a pixel counts when its centre lies inside it.
  const cx = r.x + r.width / 2;
  const cy = r.y + r.height / 2;
  const rx = r.width / 2;
  const ry = r.height / 2;
  const inside = shape === 'ellipse' ? (x: number, y: number) => ((x + 0.5 - cx) / rx) ** 2 + ((y + 0.5 - cy) / ry) ** 2 <= 1 : () => true;
  if (shape === 'ellipse' && (rx <= 0 || ry <= 0)) return undefined;
  const x0 = Math.max(0, Math.ceil(r.x - 0.5));
  const y0 = Math.max(0, Math.ceil(r.y - 0.5));
  const x1 = Math.min(f.width - 1, Math.floor(r.x + r.width - 0.5));
  const y1 = Math.min(f.height - 1, Math.floor(r.y + r.height - 0.5));
  const real = realOf(f);
  let n = 0;
  let sum = 0;
  let sum2 = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (!inside(x, y)) continue;
      const s = f.data[y * f.width + x]!;
      if (f.padding && s >= f.padding.from && s <= f.padding.to) continue;
      const v = real(s);
      n++;
      sum += v;
      sum2 += v * v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (n === 0) return undefined;
  const mean = sum / n;
  const sd = Math.sqrt(Math.max(0, sum2 / n - mean * mean));
  const ps = f.pixelSpacing;
  const area = (shape === 'ellipse' ? Math.PI * rx * ry : r.width * r.height) * (ps ? ps.row * ps.column : 1);
  return { count: n, mean, sd, min, max, area, areaUnit: ps ? 'mm²' : 'px²' };
}

export function roiText(s: RoiStats, unit: string | undefined): string[] {
  const u = unit ? ` ${unit}` : '';
  const f = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
  return [`Mean ${f(s.mean)}${u} SD ${s.sd.toFixed(1)}`, `Min ${f(s.min)} Max ${f(s.max)}`, `Area ${s.area.toFixed(1)} ${s.areaUnit}`];
}

/** The numbers of one measurement as the history and the SR keep them (value keys, unit). */
export function measurementRecord(f: FrameData, kind: 'length' | 'roi' | 'ellipse', a: Point, b: Point): { value: Record<string, number>; unit: string | null } | undefined {
  if (kind === 'length') {
    const l = measureLength(f, a, b);
    return { value: { length: l.value }, unit: l.unit };
  }
  const r = { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), width: Math.abs(b.x - a.x), height: Math.abs(b.y - a.y) };
  const s = roiStats(f, r, kind === 'ellipse' ? 'ellipse' : 'rectangle');
  if (!s) return undefined;
  return { value: { mean: s.mean, sd: s.sd, min: s.min, max: s.max, count: s.count, [s.areaUnit === 'mm²' ? 'areaMm2' : 'areaPx']: s.area }, unit: f.unit ?? null };
}
