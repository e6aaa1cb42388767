/**
 * `audit report`: the PDF that quality and audit staff file — who exported it and when, from which
 * station, which runs (the filters), whether the audit chain verifies and its head hash, summary
 * counts, then every run with its AI verdict (a thumbnail with its regions for defects and
 * overrides) and each review in order (corrections shown as such), the images that failed, the
 * integrated verdict per case (INCOMPLETE when an image failed) and a signature block. A file
 * cannot carry its own hash, so the report's SHA-256 goes into the audit log (`export.pdf`).
 * docs/REPORTS.md has the layout, the page numbering rule and its measurements.
 */
import { basename } from 'node:path';
import PDFDocument from 'pdfkit';
import { InspectorError } from '../../shared/errors';
import { maxCaseVerdictId, offMachineAnchor, readAnchor, verifyAudit, type HistoryQuery, type HistoryStore, type OffMachineAnchor, type Operator, type VerifyReport } from '../history/index';
import { chainHead, describeFilters, nextTurn, requireOperator, sealExport, type ExportOptions, type ExportResult } from './exportContext';
import { findReportFont, type ReportFont } from './font';
import { ExportFile } from './output';
import { configLabel } from './configHash';
import { CaseVerdicts, PASS_LABELS, failedImages, maxErrorId, runPages, runScope, segmentationAreasText, summarise, type CaseVerdict, type ExportRun, type FailedImage, type ScopeSummary, type SegmentationFacts } from './rows';
import type { StationFacts } from '../settings/index';
import { thumbnailOf, type Thumbnail } from './thumbnail';
import { DEID_STATEMENT, Deidentifier } from './deidentify';
import { DicomIdReader, type DicomIds } from './dicomIds';

const OMITTED_BURNED_IN = 'omitted in a de-identified report (a DICOM image without Burned In Annotation NO may show patient text)';

export interface AuditReportOptions extends ExportOptions {
  /** Font choice; default `findReportFont()`. */
  font?: ReportFont;
  /** The exporting station (from its station.yaml), stated in the header. */
  station?: StationFacts | null;
  /**
   * Reports of up to this many runs hold their pages until the end so every footer can say
   * "page N of M" (measured in docs/REPORTS.md); larger ones stream with "page N" and state the
   * count on the last line. Default 2000.
   */
  bufferPagesUpTo?: number;
  /** Thumbnails of the image with its regions for defect and override decisions; default true. */
  thumbnails?: boolean;
  /**
   * PDF/A-2b (archival): pdfkit's `subset` (XMP identification, sRGB output intent) with every
   * font embedded — Latin text then goes through an embedded TrueType font instead of Helvetica,
   * which costs time (docs/REPORTS.md). Default false.
   */
  pdfa?: boolean;
}

/** Up to this many runs a report numbers its pages "N of M" (measured: +62 MB held at 2,000 runs, +368 MB at 20,000). */
export const BUFFER_PAGES_UP_TO = 2000;

const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
const pct = (n: number, of: number) => (of ? `${((n / of) * 100).toFixed(1)}%` : '-');

const GREY = '#555555';
const RED = '#b00020';
const GREEN = '#1b6e20';

/** Text PDF's standard fonts can draw (WinAnsi ⊇ printable Latin-1). Under PDF/A these names are registered to an embedded TrueType font. */
const LATIN = 'Helvetica';
const LATIN_BOLD = 'Helvetica-Bold';
const LATIN1 = /^[\n\x20-\x7e\xa0-\xff]*$/;

class ReportWriter {
  readonly doc: PDFKit.PDFDocument;
  private page = 1;
  /** Without a CJK font, text outside Latin-1 cannot be drawn: it becomes "?", and the report says so. */
  readonly clean: (s: string) => string;
  private readonly cjk: boolean;

  constructor(
    font: ReportFont,
    private readonly footer: string,
    info: PDFKit.DocumentInfo,
    /** Pages are held until the end, when each footer gets "of M". */
    private readonly buffered: boolean,
    pdfa = false,
  ) {
    // PDF/A embeds every font: the standard 14 (Helvetica) are not embedded, so Latin text uses an
    // embedded TrueType face of the station (pdfkit's default font is given as a path, so it must
    // be a single-face file, not a .ttc collection like Noto CJK).
    const latin = pdfa ? font.latin?.regular : undefined;
    if (pdfa && !latin) throw new InspectorError('REPORT_PDFA_NO_FONT', 'PDF/A needs an embeddable Latin TrueType font and none was found (install fonts-liberation or fonts-dejavu-core).');
    this.doc = new PDFDocument({
      // pdfkit draws with a default font from the start; under PDF/A it must be an embedded one.
      ...(latin ? { font: latin.path } : {}),
      size: 'A4',
      margins: { top: 50, bottom: 60, left: 50, right: 50 },
      info,
      autoFirstPage: true,
      bufferPages: buffered,
      ...(pdfa ? { subset: 'PDF/A-2b' as const, pdfVersion: '1.7' as const, tagged: false } : {}),
    });
    // Latin-1 lines (hashes, dates, most keys) use Helvetica: laying text out in a CJK font costs
    // ~15× more per line (measured 2.3 vs 0.14 ms per run block), and most of a report is Latin.
    // Standard fonts are selected by their own names: pdfkit caches them under that name only, and
    // an alias (registerFont('latin', 'Helvetica')) re-parses the AFM metrics on every switch.
    this.cjk = font.regular !== null;
    if (latin) {
      const latinBold = font.latin?.bold ?? latin;
      this.doc.registerFont(LATIN, latin.path, latin.face);
      this.doc.registerFont(LATIN_BOLD, latinBold.path, latinBold.face);
    }
    if (font.regular) {
      this.doc.registerFont('cjk', font.regular.path, font.regular.face);
      const bold = font.bold ?? font.regular;
      this.doc.registerFont('cjk-bold', bold.path, bold.face);
      this.clean = (s) => s;
    } else {
      this.clean = (s) => s.replace(/[^\n\x20-\x7e\xa0-\xff]/g, '?');
    }
    this.doc.font(LATIN);
    if (!buffered) this.drawFooter(`page ${this.page}`);
    this.doc.on('pageAdded', () => {
      this.page++;
      if (!buffered) this.drawFooter(`page ${this.page}`);
    });
  }

  get pages(): number {
    return this.page;
  }

  /** Buffered reports: every footer, now that the count is known. */
  numberPages(): void {
    if (!this.buffered) return;
    const { start, count } = this.doc.bufferedPageRange();
    for (let i = start; i < start + count; i++) {
      this.doc.switchToPage(i);
      this.drawFooter(`page ${i + 1} of ${count}`);
    }
  }

  /** Sets the font that can draw `text` and returns the text as it will be drawn. */
  private use(text: string, bold = false): string {
    const cjk = this.cjk && !LATIN1.test(text);
    this.doc.font(cjk ? (bold ? 'cjk-bold' : 'cjk') : bold ? LATIN_BOLD : LATIN);
    return this.clean(text);
  }

  private drawFooter(pageText: string): void {
    const { doc } = this;
    const { x, y } = doc;
    const bottom = doc.page.margins.bottom;
    // Text below the bottom margin would start a new page: lift the margin while drawing the footer.
    doc.page.margins.bottom = 0;
    const text = this.use(`${this.footer}  ·  ${pageText}`);
    doc
      .fontSize(7.5)
      .fillColor(GREY)
      .text(text, doc.page.margins.left, doc.page.height - 40, {
        width: doc.page.width - doc.page.margins.left - doc.page.margins.right,
        align: 'center',
        lineBreak: false,
      });
    doc.page.margins.bottom = bottom;
    doc.fillColor('black');
    doc.x = x;
    doc.y = y;
  }

  heading(text: string, size = 13): void {
    this.doc.moveDown(0.6);
    const drawn = this.use(text, true);
    this.doc.fontSize(size).fillColor('black').text(drawn).moveDown(0.2);
  }

  line(text: string, opts: { size?: number; color?: string; indent?: number; bold?: boolean } = {}): void {
    const drawn = this.use(text, opts.bold);
    this.doc
      .fontSize(opts.size ?? 9)
      .fillColor(opts.color ?? 'black')
      .text(drawn, { indent: opts.indent ?? 0 });
  }

  field(label: string, value: string, color?: string): void {
    // The label may be a case key in Korean: it takes the font that can draw it, like the value.
    const head = this.use(`${label}: `, true);
    this.doc.fontSize(9).fillColor('black').text(head, { continued: true });
    const drawn = this.use(value);
    this.doc.fillColor(color ?? 'black').text(drawn);
  }

  /** Starts a new page when fewer than `points` remain, so a run's block is not split after its title. */
  keep(points: number): void {
    if (this.doc.y + points > this.doc.page.height - this.doc.page.margins.bottom) this.doc.addPage();
  }

  /**
   * The last line says how many pages the report has. Large reports stream their pages, so their
   * footers cannot say "of N" (holding every page until the end tripled peak memory: +359 vs
   * +138 MB at 20,000 runs); with numbered footers and this line a reader still sees a missing or
   * cut-off page.
   */
  endOfReport(runs: number, failed: number): void {
    this.keep(40);
    this.doc.moveDown(1);
    const f = failed ? `, ${failed} failed image${failed === 1 ? '' : 's'}` : '';
    this.line(`End of report: ${runs} run${runs === 1 ? '' : 's'}${f}, ${this.page} page${this.page === 1 ? '' : 's'}.`, { bold: true, size: 9 });
  }

  /** Draws a thumbnail at the left margin with its regions outlined; moves below it. */
  thumbnail(t: Thumbnail, indent: number): void {
    const { doc } = this;
    this.keep(t.height + 8);
    const x = doc.page.margins.left + indent;
    const y = doc.y + 2;
    doc.image(t.png, x, y, { width: t.width, height: t.height });
    const k = t.width / t.imageWidth;
    doc.save().lineWidth(1).strokeColor(RED);
    for (const r of t.regions) doc.rect(x + r.x * k, y + r.y * k, Math.max(1, r.width * k), Math.max(1, r.height * k)).stroke();
    doc.restore();
    doc.rect(x, y, t.width, t.height).lineWidth(0.5).strokeColor(GREY).stroke();
    doc.strokeColor('black');
    doc.x = doc.page.margins.left;
    doc.y = y + t.height + 4;
  }
}

function chainLines(w: ReportWriter, v: VerifyReport): void {
  if (v.ok) {
    w.field('Audit chain', `verifies: ${v.entries} entries checked${v.anchor ? ' against the head anchor' : ' (no head anchor beside the database: a cut-off end could not be checked)'}`, GREEN);
  } else {
    const b = v.firstBreak!;
    w.field('Audit chain', `BROKEN at entry #${b.seq}: ${b.code}`, RED);
    w.line(b.message, { color: RED, indent: 12 });
  }
  // The hash on a line of its own in a smaller size: one unbreakable word, wider than the page in some fonts.
  w.field('Chain head', `#${v.head.seq}`);
  w.line(v.head.hash, { size: 7.5, indent: 12 });
}

function summaryLines(w: ReportWriter, s: ScopeSummary): void {
  w.field('Runs', String(s.runs));
  w.field('Reviewed', `${s.reviewed} (${pct(s.reviewed, s.runs)})`);
  const dist = (m: Record<string, number>, of: number) =>
    Object.entries(m)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([k, n]) => `${k} ${n} (${pct(n, of)})`)
      .join(', ') || '-';
  w.field('AI verdicts', dist(s.verdicts, s.runs));
  w.field('Review decisions', dist(s.decisions, s.reviewed));
  w.field('AI vs reviewer agreement', s.labelled ? `${s.agreeing} of ${s.labelled} reviews naming a class (${pct(s.agreeing, s.labelled)}); uncertain reviews left out` : '- (no review names a class)');
}

/** Defect and override decisions get a thumbnail: the evidence an auditor checks by eye. */
export const needsThumbnail = (r: ExportRun): boolean => (!PASS_LABELS.test(r.verdict) && !/^uncertain$/i.test(r.verdict)) || r.reviews.some((v) => v.decision === 'override');

/** A DICOM image's patient and instance, as the export's `dicom_*` columns give them. */
function dicomLine(d: DicomIds): string {
  return `DICOM patient ${d.patientId ?? '-'}   study ${d.studyUid ?? '-'}   series ${d.seriesUid ?? '-'}   SOP ${d.sopUid ?? '-'}`;
}

/**
 * A de-identified report shows no DICOM pixels unless the file says it has no burned-in annotation:
 * names and dates burned into the image cannot be removed from a thumbnail (docs/PRIVACY.md).
 */
export function burnedInRisk(r: ExportRun): boolean {
  return r.imageFormat === 'dicom' && r.dicom?.burnedIn !== 'NO';
}

function runBlock(w: ReportWriter, r: ExportRun, thumb?: Thumbnail | string): void {
  // Title, pack, image and AI lines, the thumbnail and the first review line on one page: keeping
  // only the title's 70 pt let the thumbnail fill the page and push "Not reviewed" onto the next,
  // where it heads a page without the run it belongs to.
  w.keep(70 + (thumb && typeof thumb !== 'string' ? thumb.height + 8 : 0));
  w.doc.moveDown(0.5);
  w.line(`${r.caseKey}   ·   run ${r.runId}   ·   ${iso(r.createdAt)}`, { bold: true, size: 10 });
  const hashes = Object.entries(r.packHashes)
    .map(([f, h]) => `${f} ${h.slice(0, 12)}`)
    .join(', ');
  w.line(`Pack ${r.packName}@${r.packVersion}${hashes ? ` (${hashes})` : ''} on ${r.provider}`, { indent: 12 });
  w.line(`Image ${r.sourcePath}  sha256 ${r.imageSha256.slice(0, 16)}`, { indent: 12, color: GREY });
  if (r.dicom) w.line(dicomLine(r.dicom), { indent: 12, color: GREY, size: 7.5 });
  w.line(`AI: ${r.verdict}   score ${r.score.toFixed(4)}${r.threshold !== null ? `   threshold ${r.threshold}` : ''}`, { indent: 12 });
  if (r.segmentation) w.line(segmentationLine(r.segmentation), { indent: 12 });
  if (typeof thumb === 'string') w.line(`Thumbnail unavailable: ${thumb}`, { indent: 12, color: GREY });
  else if (thumb) w.thumbnail(thumb, 12);
  if (!r.reviews.length) return w.line('Not reviewed', { indent: 12, color: GREY });
  const supersededBy = new Map(r.reviews.filter((v) => v.supersedes !== null).map((v) => [v.supersedes!, v.id]));
  for (const v of r.reviews) {
    const by = supersededBy.get(v.id);
    w.line(
      `Review #${v.id}  ${iso(v.createdAt)}  ${r.deidentified ? v.operatorId : `${v.operatorName ?? '?'} (${v.operatorId})`}: ${v.decision}${v.label ? ` -> ${v.label}` : ''}` +
        `${v.supersedes !== null ? `  [corrects #${v.supersedes}]` : ''}${by !== undefined ? `  [superseded by #${by}]` : '  [effective]'}`,
      { indent: 12, color: by !== undefined ? GREY : 'black' },
    );
    if (v.note) w.line(`Note: ${v.note}`, { indent: 24, color: by !== undefined ? GREY : 'black' });
  }
}

/** What a segmentation run measured and the cut it used: the score alone does not say what decided. */
function segmentationLine(f: SegmentationFacts): string {
  // '>=' rather than '≥': the report's Latin font has no '≥', and a fallback font for one sign changes the whole line's face.
  const cuts = Object.entries(f.pixelThresholds).map(([l, t]) => `${l} >= ${t}`);
  const rule = cuts.length ? `pixels where probability ${cuts.join(', ')}` : Number.isNaN(f.minAreaModelPx) ? 'pixel cut not recorded' : 'pixels by arg-max class';
  const min = Number.isNaN(f.minAreaModelPx) ? '' : `, regions of >= ${f.minAreaModelPx} model px`;
  return `Area: ${segmentationAreasText(f, true)}   (${rule}${min})`;
}

function failedBlock(w: ReportWriter, f: FailedImage): void {
  w.keep(40);
  w.doc.moveDown(0.3);
  const name = f.sourcePath ? basename(f.sourcePath) : '(no file)';
  w.line(`${name}   ·   ${f.code}   ·   ${iso(f.createdAt)}${f.skipped ? '   ·   skipped (not an image)' : ''}`, { bold: true, size: 10, color: f.skipped ? GREY : RED });
  w.line(`Case ${f.caseKey ?? '-'}   ·   batch ${f.batchId ?? '-'}   ·   ${f.stage}${f.packName ? `   ·   pack ${f.packName}` : ''}`, { indent: 12 });
  if (f.sourcePath) w.line(`File ${f.sourcePath}`, { indent: 12, color: GREY });
  w.line(f.message, { indent: 12 });
}

/** How a stored verdict was reached, as one grey line (or that it was recomputed, in red). */
function howGiven(v: CaseVerdict['stored']): string {
  return v.source === 'stored'
    ? `as given: ${v.method}${v.rule !== null ? ` rule ${v.rule}` : ''}${v.incompletePolicy ? `, verdict.incomplete ${v.incompletePolicy}` : ''}${v.inspectedVerdict && v.inspectedVerdict !== v.verdict ? `, inspected images ${v.inspectedVerdict}` : ''}${v.configHash ? `, ${configLabel(v.configHash)}` : ''}`
    : 'RECOMPUTED from runs and failed images (no stored verdict in this history)';
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Run ids as a person scans them: `runs 3, 4` or, for many, `12 runs (3 … 40)`. */
const runIdsText = (ids: readonly number[]) => (ids.length <= 6 ? `${ids.length === 1 ? 'run' : 'runs'} ${ids.join(', ') || '-'}` : `${ids.length} runs (${ids[0]} … ${ids.at(-1)})`);

function caseLines(w: ReportWriter, list: CaseVerdict[], deid: Deidentifier | null): void {
  if (!list.length) return w.line('No case in the scope.', { color: GREY });
  // Stored verdicts are looked up by the real keys; only what is drawn is de-identified.
  const cases = deid ? list.map((c) => ({ ...c, caseKey: deid.caseKey(c.caseKey), reviews: c.reviews.map((v) => deid.reviewText(v)) })) : list;
  for (const c of cases) {
    const color = c.verdict === 'PASS' ? GREEN : RED;
    const v = c.stored;
    const detail = `${plural(c.runs, 'run')}${c.failed ? `, ${plural(c.failed, 'failed image')}` : ''}${c.reviews.length ? `; reviews: ${c.reviews.join(', ')}` : ''}`;
    w.keep(24);
    if (c.inspections.length <= 1) {
      w.field(c.caseKey, `${c.verdict}   (${detail})`, color);
      w.line(howGiven(v), { indent: 12, size: 8, color: v.source === 'stored' ? GREY : RED });
      continue;
    }
    // Inspected more than once in the period (a folder inspected image by image, a re-inspected
    // part): every verdict the line was given, oldest first — the newest alone could hide a defect.
    const defects = c.inspections.filter((x) => x.verdict !== 'PASS').length;
    w.field(c.caseKey, `${plural(c.inspections.length, 'inspection')}: ${defects ? `${defects} not PASS` : 'all PASS'}, newest ${c.verdict}   (${detail})`, defects ? RED : GREEN);
    for (const x of c.inspections) {
      w.keep(12);
      const when = x.createdAt !== null ? iso(x.createdAt) : '-';
      w.line(`${x.verdict}   ${when}${x.batchId !== null ? ` · batch ${x.batchId}` : ''} · ${runIdsText(x.runIds)}${x.failedImages ? ` · ${plural(x.failedImages, 'failed image')}` : ''} · ${howGiven(x)}`, { indent: 12, size: 8, color: x.verdict === 'PASS' ? GREEN : RED });
    }
  }
}

/** The chain head as one line to copy off the station (docs/HISTORY.md, "What verify cannot detect"). */
function anchorLines(w: ReportWriter, a: OffMachineAnchor): void {
  w.field('Off-machine anchor', a.line);
  w.line(
    a.anchor
      ? `Anchor beside the database: #${a.anchor.seq}${a.holds ? ', held by the chain' : ', NOT held by the chain (truncated or rewritten)'}. Keep a copy of the line above off this machine: a chain rewritten together with its anchor is caught only by comparing with such a copy.`
      : 'No anchor beside the database. Keep a copy of the line above off this machine: a chain rewritten together with its anchor is caught only by comparing with such a copy.',
    { size: 8, color: a.holds ? GREY : RED, indent: 12 },
  );
}

/** Who exported the report, with room to sign: an auditor files a signed page. */
function signatureBlock(w: ReportWriter, operator: Operator, exportedAt: number): void {
  w.keep(120);
  w.heading('Signature');
  w.field('Name', operator.name);
  w.field('Operator ID', operator.id);
  w.field('Role', operator.role);
  w.field('Date', iso(exportedAt));
  const { doc } = w;
  doc.moveDown(2.2);
  const x = doc.page.margins.left;
  doc.moveTo(x, doc.y).lineTo(x + 220, doc.y).lineWidth(0.7).strokeColor('black').stroke();
  doc.moveDown(0.3);
  w.line('Signature', { size: 8, color: GREY });
}

export async function auditReport(
  store: HistoryStore,
  query: HistoryQuery,
  operatorId: string | null | undefined,
  opts: AuditReportOptions,
): Promise<ExportResult & { chain: VerifyReport; failedImages: number; skippedFiles: number }> {
  const operator: Operator = requireOperator(store, operatorId);
  const font = opts.font ?? findReportFont();
  const exportedAt = Date.now();
  const chain = verifyAudit(store.db, readAnchor(store.file));
  const scope = runScope(store.db, query);
  const summary = summarise(store.db, scope);
  const head = chainHead(store);
  const anchor = offMachineAnchor(store.db, readAnchor(store.file));
  const verdictsThrough = maxCaseVerdictId(store.db);
  const failed = failedImages(store.db, query, maxErrorId(store.db));
  const nSkipped = failed.filter((f) => f.skipped).length;
  const nFailed = failed.length - nSkipped;
  const buffered = summary.runs <= (opts.bufferPagesUpTo ?? BUFFER_PAGES_UP_TO);
  const cases = new CaseVerdicts();
  // Opened before the file: a bad uid_root or a read-only history without a key writes nothing.
  const deid = opts.deidentify ? Deidentifier.open(store, opts.deidentify) : null;
  const dicomIds = new DicomIdReader();
  const file = new ExportFile(opts.out);
  let runs = 0;
  try {
    const w = new ReportWriter(font, `Inspector audit report  ·  exported by ${operator.name} (${operator.id})  ·  ${iso(exportedAt)}${deid ? '  ·  de-identified (PS3.15 basic profile)' : ''}`, {
      Title: 'Inspector audit report',
      Author: `${operator.name} (${operator.id})`,
      Subject: `Audit report through run ${scope.maxRunId}, chain head #${head.seq}`,
      Creator: `Inspector ${opts.appVersion ?? ''}`.trim(),
    }, buffered, opts.pdfa === true);
    const { doc } = w;
    const done = new Promise<void>((resolve, reject) => {
      doc.on('end', resolve);
      doc.on('error', reject);
    });
    doc.on('data', (chunk: Buffer) => file.write(chunk));

    w.line('Inspector audit report', { bold: true, size: 18 });
    doc.moveDown(0.4);
    if (deid) {
      w.line(DEID_STATEMENT, { bold: true, size: 9, color: RED });
      doc.moveDown(0.3);
    }
    w.field('Exported by', `${operator.name} (${operator.id}, ${operator.role})`);
    w.field('Exported at', iso(exportedAt));
    if (opts.appVersion) w.field('Inspector version', opts.appVersion);
    const st = opts.station;
    w.field('Station', st?.id ? `${st.id}${st.name ? ` (${st.name})` : ''}${st.line ? `, line ${st.line}` : ''}` : 'not set (inspector settings set station.id ID)', st?.id ? undefined : GREY);
    const filters = deid ? deid.filters(describeFilters(query)) : describeFilters(query);
    w.field('Filters', Object.keys(filters).length ? Object.entries(filters).map(([k, v]) => `${k} = ${Array.isArray(v) ? v.join(', ') : v}`).join('; ') : 'none (every run)');
    w.field('Runs covered', `recorded up to run ${scope.maxRunId}, ordered by ${query.sort ?? 'time'} ${query.order ?? 'asc'}`);
    if (!font.regular) w.line('No CJK font was found on this station: characters outside Latin-1 are shown as "?". Set INSPECTOR_REPORT_FONT.', { color: RED });

    w.heading('Audit chain');
    chainLines(w, chain);
    anchorLines(w, anchor);
    w.line("This report's own SHA-256 is recorded in the audit log as the entry after the head above (action export.pdf).", { color: GREY, size: 8 });

    w.heading('Summary');
    summaryLines(w, summary);
    w.field('Failed images', nFailed ? `${nFailed}: listed under "Failed images"; their cases are never PASS (INCOMPLETE, or a defect where verdict.incomplete is DEFECT)` : '0', nFailed ? RED : undefined);
    if (nSkipped) w.field('Skipped files', `${nSkipped} (not images; listed under "Failed images")`);

    w.heading('Runs');
    if (!summary.runs) w.line('No run matches the filters.', { color: GREY });
    for (const page of runPages(store.db, scope, opts.pageSize)) {
      for (const r of page) {
        cases.addRun(r);
        r.dicom = await dicomIds.of(r);
        const wanted = opts.thumbnails !== false && needsThumbnail(r);
        const thumb = !wanted ? undefined : deid && burnedInRisk(r) ? OMITTED_BURNED_IN : await thumbnailOf(r.sourcePath, r.regions, r.imageSha256);
        runBlock(w, deid ? deid.run(r) : r, thumb);
      }
      runs += page.length;
      opts.onProgress?.(runs);
      // Lets pdfkit hand its buffered output to the file before the next page of runs.
      await nextTurn();
    }

    w.heading('Failed images');
    if (!failed.length) w.line('None: every image in the scope was read and inspected.', { color: GREY });
    else w.line('Images that could not be read or inspected. They have no AI verdict; their cases are never PASS (see Case verdicts for what each was given). Files skipped as not images are listed too; they do not make a case incomplete.', { color: GREY, size: 8 });
    for (const f of failed) {
      cases.addFailed(f);
      failedBlock(w, deid ? deid.failed(f) : f);
    }

    w.heading('Case verdicts');
    w.line('The integrated verdict each case was given when it was inspected, with the policy that produced it; a case inspected more than once in the period lists every verdict it was given, oldest first. Cases from before verdicts were stored are recomputed (INCOMPLETE when any image failed, else the highest-scoring defect, else UNCERTAIN, else PASS) and marked RECOMPUTED.', { color: GREY, size: 8 });
    caseLines(w, cases.list(store.db, { ...(query.from !== undefined ? { from: query.from } : {}), ...(query.to !== undefined ? { to: query.to } : {}), maxId: verdictsThrough }), deid);

    signatureBlock(w, operator, exportedAt);
    w.endOfReport(runs, nFailed);
    w.numberPages();
    doc.end();
    await done;
  } catch (e) {
    file.abort();
    throw e;
  }
  return { ...sealExport(store, file, 'pdf', operator, runs), chain, failedImages: nFailed, skippedFiles: nSkipped, ...(deid ? { deidentified: true } : {}) };
}
