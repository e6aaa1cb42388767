/**
 * Draws the evaluation's own SVG plots (src/core/evaluation/output.ts) into a PDF with pdfkit's
 * vector primitives, so the report shows exactly the plots `--out` writes. Only the subset those
 * plots use is understood — rect, line, polyline, circle, text (anchor, size, rotate) with fill,
 * stroke, stroke-width and dash — not SVG in general; an element outside it is an error, not a
 * silently missing mark.
 */
import { InspectorError } from '../../shared/errors';

const attr = (tag: string, name: string): string | undefined => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
const num = (tag: string, name: string, fallback = 0): number => {
  const v = attr(tag, name);
  return v === undefined ? fallback : Number(v);
};
const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** `rgb(r,g,b)` → `#rrggbb`; named and hex colours pass through. */
function colour(c: string | undefined): string | undefined {
  if (!c || c === 'none') return undefined;
  const m = /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(c);
  return m ? '#' + [m[1], m[2], m[3]].map((v) => Number(v).toString(16).padStart(2, '0')).join('') : c;
}

/**
 * Draws `svg` with its top-left corner at (x, y), scaled to `width` points. `text` draws a label
 * in a font that can show it (the report's Latin/CJK choice) and returns the string to draw.
 */
export function drawSvg(doc: PDFKit.PDFDocument, svg: string, x: number, y: number, width: number, text: (s: string) => string = (s) => s): number {
  const root = /<svg[^>]*>/.exec(svg)?.[0];
  if (!root) throw new InspectorError('REPORT_PLOT_INVALID', 'A plot is not an SVG document.');
  const w = num(root, 'width');
  const h = num(root, 'height');
  const k = width / w;
  const baseSize = num(root, 'font-size', 11);
  doc.save();
  doc.translate(x, y).scale(k);
  // Elements in document order; text keeps its content.
  const re = /<(rect|line|polyline|circle|text)\b([^>]*?)(\/>|>([^<]*)<\/text>)/g;
  let m: RegExpExecArray | null;
  const known = svg.replace(/<svg[^>]*>|<\/svg>/g, '').replace(re, '').trim();
  if (known) throw new InspectorError('REPORT_PLOT_INVALID', `A plot uses SVG this report cannot draw: ${known.slice(0, 60)}`);
  while ((m = re.exec(svg))) {
    const [, el, a] = m;
    const tag = ` ${a}`;
    const fill = colour(attr(tag, 'fill'));
    const stroke = colour(attr(tag, 'stroke'));
    const sw = num(tag, 'stroke-width', 1);
    const dash = attr(tag, 'stroke-dasharray');
    doc.lineWidth(sw);
    if (dash) {
      const [on, off] = dash.split(/[ ,]+/).map(Number);
      doc.dash(on!, { space: off ?? on! });
    } else doc.undash();
    const paint = (defaultFill: string | undefined) => {
      const f = fill ?? defaultFill;
      if (f && stroke) doc.fillAndStroke(f, stroke);
      else if (f) doc.fill(f);
      else if (stroke) doc.stroke(stroke);
    };
    if (el === 'rect') {
      doc.rect(num(tag, 'x'), num(tag, 'y'), num(tag, 'width'), num(tag, 'height'));
      paint(attr(tag, 'fill') === 'none' ? undefined : 'black');
    } else if (el === 'line') {
      doc.moveTo(num(tag, 'x1'), num(tag, 'y1')).lineTo(num(tag, 'x2'), num(tag, 'y2'));
      doc.stroke(stroke ?? 'black');
    } else if (el === 'polyline') {
      const pts = (attr(tag, 'points') ?? '').trim().split(/\s+/).map((p) => p.split(',').map(Number) as [number, number]);
      if (pts.length) {
        doc.moveTo(pts[0]![0], pts[0]![1]);
        for (const p of pts.slice(1)) doc.lineTo(p[0], p[1]);
        doc.stroke(stroke ?? 'black');
      }
    } else if (el === 'circle') {
      doc.circle(num(tag, 'cx'), num(tag, 'cy'), num(tag, 'r'));
      paint('black');
    } else {
      const content = unescape(m[4] ?? '');
      const size = num(tag, 'font-size', baseSize);
      const anchor = attr(tag, 'text-anchor') ?? 'start';
      const tx = num(tag, 'x');
      const ty = num(tag, 'y');
      const rot = /rotate\((-?[\d.]+)/.exec(attr(tag, 'transform') ?? '')?.[1];
      doc.undash();
      const drawn = text(content);
      doc.fontSize(size).fillColor(fill ?? 'black');
      const tw = doc.widthOfString(drawn);
      const dx = anchor === 'middle' ? -tw / 2 : anchor === 'end' ? -tw : 0;
      doc.save();
      if (rot) doc.rotate(Number(rot), { origin: [tx, ty] });
      // SVG places text on its baseline; pdfkit at its top: lift by the ascent (≈ 0.8 em).
      doc.text(drawn, tx + dx, ty - size * 0.8, { lineBreak: false });
      doc.restore();
    }
  }
  doc.undash();
  doc.restore();
  doc.fillColor('black');
  return h * k;
}
