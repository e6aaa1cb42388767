/**
 * The report's typeface. Korean operator names and case keys need a CJK font; PDF's 14 standard
 * fonts cover Latin-1 only. We use a font already on the station rather than bundling one: a
 * Noto Sans CJK KR subset covering Hangul and KS X 1001 would add ~5 MB to every checkout and
 * installer, while Debian (fonts-noto-cjk), Windows (Malgun Gothic) and macOS (Apple SD Gothic
 * Neo) ship a suitable font, and pdfkit embeds only the glyphs a report uses anyway.
 * `INSPECTOR_REPORT_FONT=/path/font.ttc#PostScriptName` picks another. Without any, the report
 * falls back to Helvetica and says on its first page that other characters are shown as "?".
 */
import { existsSync } from 'node:fs';

export interface ReportFont {
  /** A font file and, for a collection (.ttc), the face's PostScript name. */
  regular: { path: string; face?: string } | null;
  bold: { path: string; face?: string } | null;
  /** A Latin TrueType font to embed when there is no CJK font (PDF/A embeds every font). */
  latin?: { regular: { path: string; face?: string }; bold: { path: string; face?: string } | null } | null;
}

const LATIN_CANDIDATES: [string, string][] = [
  ['/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf', '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf'],
  ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'],
  ['C:\\Windows\\Fonts\\arial.ttf', 'C:\\Windows\\Fonts\\arialbd.ttf'],
];

function findLatin(): ReportFont['latin'] {
  for (const [r, b] of LATIN_CANDIDATES) if (existsSync(r)) return { regular: { path: r }, bold: existsSync(b) ? { path: b } : null };
  return null;
}

interface Candidate {
  regular: [string, string?];
  bold?: [string, string?];
}

const CANDIDATES: Candidate[] = [
  // Debian/Ubuntu fonts-noto-cjk
  {
    regular: ['/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', 'NotoSansCJKkr-Regular'],
    bold: ['/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc', 'NotoSansCJKkr-Bold'],
  },
  // Fedora google-noto-sans-cjk, Arch noto-fonts-cjk
  {
    regular: ['/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Regular.ttc', 'NotoSansCJKkr-Regular'],
    bold: ['/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Bold.ttc', 'NotoSansCJKkr-Bold'],
  },
  { regular: ['/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc', 'NotoSansCJKkr-Regular'], bold: ['/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc', 'NotoSansCJKkr-Bold'] },
  { regular: ['/usr/share/fonts/truetype/nanum/NanumGothic.ttf'], bold: ['/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf'] },
  { regular: ['C:\\Windows\\Fonts\\malgun.ttf'], bold: ['C:\\Windows\\Fonts\\malgunbd.ttf'] },
  { regular: ['/System/Library/Fonts/AppleSDGothicNeo.ttc', 'AppleSDGothicNeo-Regular'], bold: ['/System/Library/Fonts/AppleSDGothicNeo.ttc', 'AppleSDGothicNeo-Bold'] },
];

function parseOverride(v: string): { path: string; face?: string } {
  const hash = v.lastIndexOf('#');
  return hash > 0 ? { path: v.slice(0, hash), face: v.slice(hash + 1) } : { path: v };
}

export function findReportFont(env: Record<string, string | undefined> = process.env): ReportFont {
  const override = env['INSPECTOR_REPORT_FONT'];
  if (override) {
    const f = parseOverride(override);
    if (existsSync(f.path)) return { regular: f, bold: null, latin: findLatin() };
  }
  for (const c of CANDIDATES) {
    if (!existsSync(c.regular[0])) continue;
    const bold = c.bold && existsSync(c.bold[0]) ? { path: c.bold[0], face: c.bold[1] } : null;
    return { regular: { path: c.regular[0], face: c.regular[1] }, bold, latin: findLatin() };
  }
  return { regular: null, bold: null, latin: findLatin() };
}
