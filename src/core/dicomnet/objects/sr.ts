/**
 * Comprehensive SR, TID 1500 "Measurement Report", for one inference run (PS3.16 TID 1500/1410/
 * 1501/4019): the findings as coded concepts, the pack (name, version, manifest SHA-256) as the
 * algorithm identification, each label's probability, one planar ROI group per region with its box
 * as a closed SCOORD polyline on the source image, and the source instance in the image library and
 * in the evidence sequence. A reviewer's decision, when there is one, makes the document VERIFIED
 * (Verifying Observer = the operator) and is stated as a coded item.
 */
import type { RunDetail } from '../../history/index';
import { InspectorError } from '../../../shared/errors';
import { derivedUid, newUid } from '../uid';
import {
  code,
  codingSchemeIdentification,
  dicomDate,
  dicomTime,
  equipment,
  labelCode,
  type LabelCodings,
  patientAndStudy,
  PRIVATE_SCHEME,
  type Code,
  type Naturalized,
} from './common';

export const COMPREHENSIVE_SR = '1.2.840.10008.5.1.4.1.1.88.33';

const DCM = 'DCM';
const C = {
  report: code('126000', DCM, 'Imaging Measurement Report'),
  language: code('121049', DCM, 'Language of Content Item and Descendants'),
  english: code('en-US', 'RFC5646', 'English, United States'),
  observerType: code('121005', DCM, 'Observer Type'),
  device: code('121007', DCM, 'Device'),
  deviceUid: code('121012', DCM, 'Device Observer UID'),
  deviceName: code('121013', DCM, 'Device Observer Name'),
  deviceMaker: code('121014', DCM, 'Device Observer Manufacturer'),
  deviceModel: code('121015', DCM, 'Device Observer Model Name'),
  procedure: code('121058', DCM, 'Procedure reported'),
  imagingProcedure: code('363679005', 'SCT', 'Imaging procedure'),
  imageLibrary: code('111028', DCM, 'Image Library'),
  imageLibraryGroup: code('126200', DCM, 'Image Library Group'),
  measurements: code('126010', DCM, 'Imaging Measurements'),
  group: code('125007', DCM, 'Measurement Group'),
  trackingId: code('112039', DCM, 'Tracking Identifier'),
  trackingUid: code('112040', DCM, 'Tracking Unique Identifier'),
  finding: code('121071', DCM, 'Finding'),
  imageRegion: code('111030', DCM, 'Image Region'),
  algorithmName: code('111001', DCM, 'Algorithm Name'),
  algorithmVersion: code('111003', DCM, 'Algorithm Version'),
  algorithmParameters: code('111002', DCM, 'Algorithm Parameters'),
  source: code('260753009', 'SCT', 'Source'),
  probability: code('probability', PRIVATE_SCHEME, 'Probability'),
  regionPeak: code('region-peak', PRIVATE_SCHEME, 'Region peak of normalised map'),
  noUnits: code('1', 'UCUM', 'no units'),
  reviewDecision: code('review', PRIVATE_SCHEME, 'Reviewer decision'),
  personObserver: code('121008', DCM, 'Person Observer Name'),
  // The reviewer's measurements (TID 1410 planar ROI groups; TID 1501 for a length).
  reviewerMeasurement: code('reviewer-meas', PRIVATE_SCHEME, 'Reviewer measurement'),
  length: code('410668003', 'SCT', 'Length'),
  mean: code('373098007', 'SCT', 'Mean'),
  sd: code('386136009', 'SCT', 'Standard Deviation'),
  min: code('255605001', 'SCT', 'Minimum'),
  max: code('56851009', 'SCT', 'Maximum'),
  area: code('42798000', 'SCT', 'Area'),
};

/** UCUM units of the measured values (HU is `[hnsf'U]`, PS3.16 CID 7181). */
const UNITS: Record<string, Code> = {
  mm: code('mm', 'UCUM', 'millimeter'),
  px: code('{pixels}', 'UCUM', 'pixels'),
  'mm²': code('mm2', 'UCUM', 'square millimeter'),
  'px²': code('{pixels}', 'UCUM', 'pixels'),
  HU: code("[hnsf'U]", 'UCUM', 'Hounsfield unit'),
};

const DECISION_CODES: Record<string, Code> = {
  accept: code('accepted', PRIVATE_SCHEME, 'AI result accepted'),
  override: code('overridden', PRIVATE_SCHEME, 'AI result overridden'),
  reject: code('rejected', PRIVATE_SCHEME, 'AI result rejected'),
  uncertain: code('uncertain', PRIVATE_SCHEME, 'Reviewer uncertain'),
};

type Item = Naturalized;

const item = (rel: string | null, type: string, concept: Code | null, value: Naturalized = {}): Item => ({
  ...(rel ? { RelationshipType: rel } : {}),
  ValueType: type,
  ...(concept ? { ConceptNameCodeSequence: [concept] } : {}),
  ...value,
});
const text = (rel: string, concept: Code, v: string) => item(rel, 'TEXT', concept, { TextValue: v.slice(0, 1024) });
const codeItem = (rel: string, concept: Code, v: Code, children?: Item[]) => item(rel, 'CODE', concept, { ConceptCodeSequence: [v], ...(children ? { ContentSequence: children } : {}) });
const uidref = (rel: string, concept: Code, v: string) => item(rel, 'UIDREF', concept, { UID: v });
const num = (rel: string, concept: Code, v: number, children?: Item[], unit: Code = C.noUnits) =>
  item(rel, 'NUM', concept, {
    MeasuredValueSequence: [{ MeasurementUnitsCodeSequence: [unit], NumericValue: Number(v.toPrecision(6)) }],
    ...(children ? { ContentSequence: children } : {}),
  });
const container = (rel: string | null, concept: Code, children: Item[], template?: string) =>
  item(rel, 'CONTAINER', concept, {
    ContinuityOfContent: 'SEPARATE',
    ...(template ? { ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: template }] } : {}),
    ContentSequence: children,
  });

export interface SourceRef {
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
}

export interface SrInput {
  detail: RunDetail;
  /** The source instance, naturalized (its patient/study are copied). */
  source: Naturalized;
  ref: SourceRef;
  /** Display names of labels, from the pack when known. */
  labelNames?: Record<string, string>;
  /** The pack's standard label codes (pack.yaml `labels[].code`); a label without one is coded privately. */
  labelCodings?: LabelCodings;
  uidRoot: string;
  softwareVersion: string;
  now?: Date;
  seriesInstanceUid?: string;
}

function algorithm(detail: RunDetail): Item[] {
  const manifest = detail.run.packHashes['pack.yaml'] ?? '';
  return [
    text('HAS CONCEPT MOD', C.algorithmName, detail.run.packName),
    text('HAS CONCEPT MOD', C.algorithmVersion, detail.run.packVersion),
    text('HAS CONCEPT MOD', C.algorithmParameters, `pack.yaml sha256=${manifest}; provider=${detail.run.provider}`),
  ];
}

const imageRef = (ref: SourceRef, frame?: number) => ({
  ReferencedSOPSequence: [{ ReferencedSOPClassUID: ref.sopClassUid, ReferencedSOPInstanceUID: ref.sopInstanceUid, ...(frame ? { ReferencedFrameNumber: frame } : {}) }],
});

type ReviewMeasurement = RunDetail['reviews'][number]['measurements'][number];

/** The instance a measurement was drawn on: its own source when recorded, else the run's image. */
function measuredRef(m: ReviewMeasurement, ref: SourceRef): SourceRef {
  const s = m.source;
  return s ? { sopClassUid: s.sopClassUid, sopInstanceUid: s.sopInstanceUid, seriesInstanceUid: s.seriesInstanceUid ?? ref.seriesInstanceUid, studyInstanceUid: ref.studyInstanceUid } : ref;
}

/**
 * The SCOORD of a measurement in image pixel coordinates: a length as a 2-point POLYLINE, a
 * rectangle as a closed POLYLINE, an ellipse as ELLIPSE (major axis end points, then minor axis
 * end points; PS3.3 C.18.6.1.2).
 */
function measurementScoord(m: ReviewMeasurement, target: SourceRef): Item {
  const [a, b] = m.points;
  const selected = [item('SELECTED FROM', 'IMAGE', null, imageRef(target, m.frameNumber ?? undefined))];
  if (m.kind === 'length') return item('INFERRED FROM', 'SCOORD', null, { GraphicType: 'POLYLINE', GraphicData: [a.x, a.y, b.x, b.y], ContentSequence: selected });
  const x0 = Math.min(a.x, b.x), x1 = Math.max(a.x, b.x), y0 = Math.min(a.y, b.y), y1 = Math.max(a.y, b.y);
  if (m.kind === 'rectangle') {
    return item('CONTAINS', 'SCOORD', C.imageRegion, { GraphicType: 'POLYLINE', GraphicData: [x0, y0, x1, y0, x1, y1, x0, y1, x0, y0], ContentSequence: selected });
  }
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const horizontalMajor = x1 - x0 >= y1 - y0;
  const major = horizontalMajor ? [x0, cy, x1, cy] : [cx, y0, cx, y1];
  const minor = horizontalMajor ? [cx, y0, cx, y1] : [x0, cy, x1, cy];
  return item('CONTAINS', 'SCOORD', C.imageRegion, { GraphicType: 'ELLIPSE', GraphicData: [...major, ...minor], ContentSequence: selected });
}

function measurementGroups(review: RunDetail['reviews'][number] | undefined, ref: SourceRef, uid: (k: string) => string, runId: number): Item[] {
  if (!review) return [];
  const observer = item('HAS OBS CONTEXT', 'PNAME', C.personObserver, { PersonName: review.operatorName ?? review.operatorId });
  return review.measurements.map((m, i) => {
    const target = measuredRef(m, ref);
    const head = [
      text('CONTAINS', C.trackingId, `run ${runId} review ${review.id} measurement ${i + 1}`),
      uidref('CONTAINS', C.trackingUid, uid(`review${review.id}:m${i}`)),
      codeItem('CONTAINS', C.finding, C.reviewerMeasurement),
    ];
    if (m.kind === 'length') {
      const unit = UNITS[m.unit ?? 'px'] ?? UNITS['px']!;
      return container('CONTAINS', C.group, [observer, ...head, num('CONTAINS', C.length, m.value['length'] ?? 0, [measurementScoord(m, target)], unit)]);
    }
    const unit = (m.unit && UNITS[m.unit]) || C.noUnits;
    const stat = (k: string, concept: Code, u: Code = unit) => (m.value[k] !== undefined ? [num('CONTAINS', concept, m.value[k], undefined, u)] : []);
    const areaUnit = UNITS[m.value['areaMm2'] !== undefined ? 'mm²' : 'px²']!;
    return container('CONTAINS', C.group, [
      observer,
      ...head,
      measurementScoord(m, target),
      ...stat('mean', C.mean),
      ...stat('sd', C.sd),
      ...stat('min', C.min),
      ...stat('max', C.max),
      ...(m.value['areaMm2'] !== undefined ? [num('CONTAINS', C.area, m.value['areaMm2'], undefined, areaUnit)] : m.value['areaPx'] !== undefined ? [num('CONTAINS', C.area, m.value['areaPx'], undefined, areaUnit)] : []),
    ]);
  });
}

/** Every instance the document references, by series (the evidence sequence; PS3.3 C.17.2.3). */
function evidence(refs: SourceRef[]): Naturalized[] {
  const series = new Map<string, Map<string, string>>();
  for (const r of refs) {
    const s = series.get(r.seriesInstanceUid) ?? new Map<string, string>();
    s.set(r.sopInstanceUid, r.sopClassUid);
    series.set(r.seriesInstanceUid, s);
  }
  return [
    {
      StudyInstanceUID: refs[0]!.studyInstanceUid,
      ReferencedSeriesSequence: [...series].map(([uid, sops]) => ({
        SeriesInstanceUID: uid,
        ReferencedSOPSequence: [...sops].map(([i, c]) => ({ ReferencedSOPClassUID: c, ReferencedSOPInstanceUID: i })),
      })),
    },
  ];
}

/** One run as it goes into a report: the run, its source instance and how its labels are named and coded. */
interface RunPart {
  detail: RunDetail;
  ref: SourceRef;
  labelNames?: Record<string, string> | undefined;
  labelCodings?: LabelCodings | undefined;
  uidRoot: string;
}

type Review = RunDetail['reviews'][number];

/** What one run contributes to a measurement report, whether the report is of that run or of a study. */
interface RunContent {
  /** TID 1501 image-level group, a TID 1410 planar ROI group per region, the reviewer's measurement groups. */
  groups: Item[];
  /** The coded reviewer decision (with the reviewer's class and name); empty without a current review. */
  decision: Item[];
  /** The instances the run's content references: its source first, then any other image a measurement was drawn on. */
  images: SourceRef[];
  review: Review | undefined;
}

function runContent(part: RunPart): RunContent {
  const { detail, ref } = part;
  const run = detail.run;
  const name = (l: string) => part.labelNames?.[l] ?? l;
  // A finding is the pack's standard concept for the label when it gives one (SCT 233604007 "Pneumonia").
  const finding = (l: string) => labelCode(l, name(l), part.labelCodings?.[l]?.code);
  const uid = (k: string) => derivedUid(part.uidRoot, `${run.id}:${run.createdAt}:${k}`);

  const imageLevel = container('CONTAINS', C.group, [
    text('CONTAINS', C.trackingId, `run ${run.id} image classification`),
    uidref('CONTAINS', C.trackingUid, uid('image')),
    codeItem('CONTAINS', C.finding, finding(run.verdict)),
    item('CONTAINS', 'IMAGE', C.source, imageRef(ref)),
    ...Object.entries(run.probabilities).map(([label, p]) =>
      num('CONTAINS', C.probability, p, [codeItem('HAS CONCEPT MOD', C.finding, finding(label)), ...algorithm(detail)]),
    ),
  ]);

  const regions = run.regions.map((g, i) => {
    const [x, y, w, h] = g.box;
    // Closed polyline through the box corners (PS3.3 C.18.6: first point repeated last), image pixel coordinates.
    const points = [x, y, x + w, y, x + w, y + h, x, y + h, x, y];
    const p = run.probabilities[g.label];
    return container('CONTAINS', C.group, [
      text('CONTAINS', C.trackingId, `run ${run.id} region ${i + 1}`),
      uidref('CONTAINS', C.trackingUid, uid(`region${i}`)),
      codeItem('CONTAINS', C.finding, finding(g.label)),
      item('CONTAINS', 'SCOORD', C.imageRegion, {
        GraphicType: 'POLYLINE',
        GraphicData: points,
        ContentSequence: [item('SELECTED FROM', 'IMAGE', null, imageRef(ref))],
      }),
      ...(p !== undefined ? [num('CONTAINS', C.probability, p, algorithm(detail))] : []),
      ...(g.score !== undefined ? [num('CONTAINS', C.regionPeak, g.score, algorithm(detail))] : []),
    ]);
  });

  const review = detail.reviews.find((v) => v.supersededBy === null);
  const measured = measurementGroups(review, ref, uid, run.id);
  const measuredRefs = (review?.measurements ?? []).map((m) => measuredRef(m, ref));
  const otherImages = [...new Map(measuredRefs.filter((r) => r.sopInstanceUid !== ref.sopInstanceUid).map((r) => [r.sopInstanceUid, r])).values()];
  const decision = review
    ? [
        codeItem('CONTAINS', C.reviewDecision, DECISION_CODES[review.decision] ?? code(review.decision, PRIVATE_SCHEME, review.decision), [
          ...(review.label ? [codeItem('HAS CONCEPT MOD', C.finding, finding(review.label))] : []),
          item('HAS OBS CONTEXT', 'PNAME', C.personObserver, { PersonName: review.operatorName ?? review.operatorId }),
        ]),
      ]
    : [];
  return { groups: [imageLevel, ...regions, ...measured], decision, images: [ref, ...otherImages], review };
}

/** Whatever the report covers, its document: observation context of the pack, image library, evidence, verification. */
interface ReportDoc {
  /** The run whose pack is the device observer (every run of a report is of that pack). */
  detail: RunDetail;
  source: Naturalized;
  uidRoot: string;
  softwareVersion: string;
  now?: Date | undefined;
  seriesInstanceUid?: string | undefined;
  measurements: Item[];
  /** Root-level items after Imaging Measurements (the per-run report's reviewer decision). */
  trailing: Item[];
  images: SourceRef[];
  /** Current reviews: the document is VERIFIED when `verified`, each reviewer a Verifying Observer. */
  reviews: Review[];
  verified: boolean;
}

function reportDocument(doc: ReportDoc): Naturalized {
  const now = doc.now ?? new Date();
  const run = doc.detail.run;
  const manifest = run.packHashes['pack.yaml'] ?? `${run.packName}@${run.packVersion}`;
  const images = [...new Map(doc.images.map((r) => [r.sopInstanceUid, r])).values()];

  const content = container(
    null,
    C.report,
    [
      codeItem('HAS CONCEPT MOD', C.language, C.english),
      codeItem('HAS OBS CONTEXT', C.observerType, C.device),
      uidref('HAS OBS CONTEXT', C.deviceUid, derivedUid(doc.uidRoot, `device:${manifest}`)),
      text('HAS OBS CONTEXT', C.deviceName, `Inspector ${run.packName}`),
      text('HAS OBS CONTEXT', C.deviceMaker, 'Inspector'),
      text('HAS OBS CONTEXT', C.deviceModel, `${run.packName} ${run.packVersion}`),
      codeItem('HAS CONCEPT MOD', C.procedure, C.imagingProcedure),
      container('CONTAINS', C.imageLibrary, [container('CONTAINS', C.imageLibraryGroup, images.map((r) => item('CONTAINS', 'IMAGE', null, imageRef(r))))]),
      container('CONTAINS', C.measurements, doc.measurements),
      ...doc.trailing,
    ],
    '1500',
  );

  return {
    ...patientAndStudy(doc.source),
    SOPClassUID: COMPREHENSIVE_SR,
    SOPInstanceUID: newUid(doc.uidRoot),
    InstanceCreationDate: dicomDate(now),
    InstanceCreationTime: dicomTime(now),
    // Our private scheme is declared while the document uses it (probabilities, reviewer items, uncoded labels).
    ...codingSchemeIdentification(content),
    Modality: 'SR',
    SeriesInstanceUID: doc.seriesInstanceUid ?? newUid(doc.uidRoot),
    SeriesNumber: 9901,
    SeriesDescription: `AI results ${run.packName} ${run.packVersion} - not for diagnostic use`.slice(0, 64),
    ReferencedPerformedProcedureStepSequence: [],
    ...equipment(doc.softwareVersion),
    InstanceNumber: 1,
    ContentDate: dicomDate(now),
    ContentTime: dicomTime(now),
    CompletionFlag: 'COMPLETE',
    VerificationFlag: doc.verified ? 'VERIFIED' : 'UNVERIFIED',
    ...(doc.verified
      ? {
          VerifyingObserverSequence: doc.reviews.map((review) => {
            const reviewedAt = new Date(review.createdAt);
            return {
              VerifyingObserverName: review.operatorName ?? review.operatorId,
              VerifyingObserverIdentificationCodeSequence: [],
              VerifyingOrganization: 'Inspector',
              VerificationDateTime: `${dicomDate(reviewedAt)}${dicomTime(reviewedAt)}`,
            };
          }),
        }
      : {}),
    CurrentRequestedProcedureEvidenceSequence: evidence(images),
    PerformedProcedureCodeSequence: [],
    ...content,
  };
}

export function buildSr(input: SrInput): Naturalized {
  const c = runContent(input);
  return reportDocument({
    ...input,
    measurements: c.groups,
    trailing: c.decision,
    images: c.images,
    reviews: c.review ? [c.review] : [],
    verified: c.review !== undefined,
  });
}

export interface StudySrRun {
  detail: RunDetail;
  /** The run's source instance, naturalized. */
  source: Naturalized;
  ref: SourceRef;
}

export interface StudySrInput {
  /** The runs of one study and one pack, in the order their groups are written. */
  runs: StudySrRun[];
  labelNames?: Record<string, string>;
  labelCodings?: LabelCodings;
  uidRoot: string;
  softwareVersion: string;
  now?: Date;
  seriesInstanceUid?: string;
  /** The study report this one re-issues (after a review): named in the Predecessor Documents Sequence, its series reused, its instance number + 1. */
  predecessor?: StudySrPredecessor;
}

/** A study report that was issued: what its re-issue names (PS3.3 C.17.2 Predecessor Documents Sequence). */
export interface StudySrPredecessor {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  instanceNumber: number;
}

/**
 * ONE measurement report for several runs of one study (the slices of an auto-inspected CT, the
 * images of a CR study): each run's content as in its own report (`runContent`: its image-level
 * group, a planar ROI group per region, the reviewer's groups — every SCOORD selected from that
 * run's instance); a run's reviewer decision goes inside its image-level group, since the root
 * would not say which run it decides. The image library and the evidence list every referenced
 * instance. VERIFIED only when every run has a current review. Patient/study are the first run's;
 * runs of another study → DICOM_SR_STUDY_MISMATCH, of another pack → DICOM_SR_PACK_MISMATCH
 * (the device observer is one pack).
 */
export function buildStudySr(input: StudySrInput): Naturalized {
  const first = input.runs[0];
  if (!first) throw new InspectorError('USAGE', 'A study report needs at least one run.');
  for (const r of input.runs) {
    if (r.ref.studyInstanceUid !== first.ref.studyInstanceUid) {
      throw new InspectorError(
        'DICOM_SR_STUDY_MISMATCH',
        `Run ${r.detail.run.id} inspected an instance of study ${r.ref.studyInstanceUid}, run ${first.detail.run.id} one of ${first.ref.studyInstanceUid}; a study report is of one study.`,
        { runId: r.detail.run.id, studyInstanceUid: r.ref.studyInstanceUid, expected: first.ref.studyInstanceUid },
      );
    }
    if (r.detail.run.packName !== first.detail.run.packName || r.detail.run.packVersion !== first.detail.run.packVersion) {
      throw new InspectorError(
        'DICOM_SR_PACK_MISMATCH',
        `Run ${r.detail.run.id} used ${r.detail.run.packName} ${r.detail.run.packVersion}, run ${first.detail.run.id} ${first.detail.run.packName} ${first.detail.run.packVersion}; a study report is of one pack.`,
        { runId: r.detail.run.id },
      );
    }
  }
  const contents = input.runs.map((r) => runContent({ ...r, labelNames: input.labelNames, labelCodings: input.labelCodings, uidRoot: input.uidRoot }));
  const measurements = contents.flatMap((c) => {
    const [imageLevel, ...rest] = c.groups;
    const withDecision = { ...imageLevel!, ContentSequence: [...(imageLevel!['ContentSequence'] as Item[]), ...c.decision] };
    return [withDecision, ...rest];
  });
  const reviews = contents.flatMap((c) => (c.review ? [c.review] : []));
  const prev = input.predecessor;
  const doc = reportDocument({
    detail: first.detail,
    source: first.source,
    uidRoot: input.uidRoot,
    softwareVersion: input.softwareVersion,
    now: input.now,
    seriesInstanceUid: input.seriesInstanceUid ?? prev?.seriesInstanceUid,
    measurements,
    trailing: [],
    images: contents.flatMap((c) => c.images),
    reviews,
    verified: reviews.length === contents.length,
  });
  if (!prev) return doc;
  // A re-issue: a new instance in the same series (one report, several versions), naming the version it replaces.
  return {
    ...doc,
    InstanceNumber: prev.instanceNumber + 1,
    PredecessorDocumentsSequence: [
      {
        StudyInstanceUID: prev.studyInstanceUid,
        ReferencedSeriesSequence: [{ SeriesInstanceUID: prev.seriesInstanceUid, ReferencedSOPSequence: [{ ReferencedSOPClassUID: COMPREHENSIVE_SR, ReferencedSOPInstanceUID: prev.sopInstanceUid }] }],
      },
    ],
  };
}
