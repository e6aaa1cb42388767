/**
 * Comprehensive SR, TID 1500 "Measurement Report", for one inference run (PS3.16 TID 1500/1410/
 * 1501/4019): the findings as coded concepts, the pack (name, version, manifest SHA-256) as the
 * algorithm identification, each label's probability, one planar ROI group per region with its box
 * as a closed SCOORD polyline on the source image, and the source instance in the image library and
 * in the evidence sequence. A reviewer's decision, when there is one, makes the document VERIFIED
 * (Verifying Observer = the operator) and is stated as a coded item.
 */
import type { RunDetail } from '../../history/index';
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

export function buildSr(input: SrInput): Naturalized {
  const { detail, ref } = input;
  const now = input.now ?? new Date();
  const run = detail.run;
  const name = (l: string) => input.labelNames?.[l] ?? l;
  // A finding is the pack's standard concept for the label when it gives one (SCT 233604007 "Pneumonia").
  const finding = (l: string) => labelCode(l, name(l), input.labelCodings?.[l]?.code);
  const uid = (k: string) => derivedUid(input.uidRoot, `${run.id}:${run.createdAt}:${k}`);
  const manifest = run.packHashes['pack.yaml'] ?? `${run.packName}@${run.packVersion}`;

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
  const reviewItems = review
    ? [
        codeItem('CONTAINS', C.reviewDecision, DECISION_CODES[review.decision] ?? code(review.decision, PRIVATE_SCHEME, review.decision), [
          ...(review.label ? [codeItem('HAS CONCEPT MOD', C.finding, finding(review.label))] : []),
          item('HAS OBS CONTEXT', 'PNAME', C.personObserver, { PersonName: review.operatorName ?? review.operatorId }),
        ]),
      ]
    : [];

  const content = container(
    null,
    C.report,
    [
      codeItem('HAS CONCEPT MOD', C.language, C.english),
      codeItem('HAS OBS CONTEXT', C.observerType, C.device),
      uidref('HAS OBS CONTEXT', C.deviceUid, derivedUid(input.uidRoot, `device:${manifest}`)),
      text('HAS OBS CONTEXT', C.deviceName, `Inspector ${run.packName}`),
      text('HAS OBS CONTEXT', C.deviceMaker, 'Inspector'),
      text('HAS OBS CONTEXT', C.deviceModel, `${run.packName} ${run.packVersion}`),
      codeItem('HAS CONCEPT MOD', C.procedure, C.imagingProcedure),
      container('CONTAINS', C.imageLibrary, [
        container('CONTAINS', C.imageLibraryGroup, [item('CONTAINS', 'IMAGE', null, imageRef(ref)), ...otherImages.map((r) => item('CONTAINS', 'IMAGE', null, imageRef(r)))]),
      ]),
      container('CONTAINS', C.measurements, [imageLevel, ...regions, ...measured]),
      ...reviewItems,
    ],
    '1500',
  );

  const reviewedAt = review ? new Date(review.createdAt) : null;
  return {
    ...patientAndStudy(input.source),
    SOPClassUID: COMPREHENSIVE_SR,
    SOPInstanceUID: newUid(input.uidRoot),
    InstanceCreationDate: dicomDate(now),
    InstanceCreationTime: dicomTime(now),
    // Our private scheme is declared while the document uses it (probabilities, reviewer items, uncoded labels).
    ...codingSchemeIdentification(content),
    Modality: 'SR',
    SeriesInstanceUID: input.seriesInstanceUid ?? newUid(input.uidRoot),
    SeriesNumber: 9901,
    SeriesDescription: `AI results ${run.packName} ${run.packVersion} - not for diagnostic use`.slice(0, 64),
    ReferencedPerformedProcedureStepSequence: [],
    ...equipment(input.softwareVersion),
    InstanceNumber: 1,
    ContentDate: dicomDate(now),
    ContentTime: dicomTime(now),
    CompletionFlag: 'COMPLETE',
    VerificationFlag: review ? 'VERIFIED' : 'UNVERIFIED',
    ...(review && reviewedAt
      ? {
          VerifyingObserverSequence: [
            {
              VerifyingObserverName: review.operatorName ?? review.operatorId,
              VerifyingObserverIdentificationCodeSequence: [],
              VerifyingOrganization: 'Inspector',
              VerificationDateTime: `${dicomDate(reviewedAt)}${dicomTime(reviewedAt)}`,
            },
          ],
        }
      : {}),
    CurrentRequestedProcedureEvidenceSequence: evidence([ref, ...otherImages]),
    PerformedProcedureCodeSequence: [],
    ...content,
  };
}
