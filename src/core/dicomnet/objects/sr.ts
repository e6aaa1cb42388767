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
  CODING_SCHEME_IDENTIFICATION,
  dicomDate,
  dicomTime,
  equipment,
  labelCode,
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
const num = (rel: string, concept: Code, v: number, children?: Item[]) =>
  item(rel, 'NUM', concept, {
    MeasuredValueSequence: [{ MeasurementUnitsCodeSequence: [C.noUnits], NumericValue: Number(v.toPrecision(6)) }],
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

const imageRef = (ref: SourceRef) => ({ ReferencedSOPSequence: [{ ReferencedSOPClassUID: ref.sopClassUid, ReferencedSOPInstanceUID: ref.sopInstanceUid }] });

export function buildSr(input: SrInput): Naturalized {
  const { detail, ref } = input;
  const now = input.now ?? new Date();
  const run = detail.run;
  const name = (l: string) => input.labelNames?.[l] ?? l;
  const uid = (k: string) => derivedUid(input.uidRoot, `${run.id}:${run.createdAt}:${k}`);
  const manifest = run.packHashes['pack.yaml'] ?? `${run.packName}@${run.packVersion}`;

  const imageLevel = container('CONTAINS', C.group, [
    text('CONTAINS', C.trackingId, `run ${run.id} image classification`),
    uidref('CONTAINS', C.trackingUid, uid('image')),
    codeItem('CONTAINS', C.finding, labelCode(run.verdict, name(run.verdict))),
    item('CONTAINS', 'IMAGE', C.source, imageRef(ref)),
    ...Object.entries(run.probabilities).map(([label, p]) =>
      num('CONTAINS', C.probability, p, [codeItem('HAS CONCEPT MOD', C.finding, labelCode(label, name(label))), ...algorithm(detail)]),
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
      codeItem('CONTAINS', C.finding, labelCode(g.label, name(g.label))),
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
  const reviewItems = review
    ? [
        codeItem('CONTAINS', C.reviewDecision, DECISION_CODES[review.decision] ?? code(review.decision, PRIVATE_SCHEME, review.decision), [
          ...(review.label ? [codeItem('HAS CONCEPT MOD', C.finding, labelCode(review.label, name(review.label)))] : []),
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
      container('CONTAINS', C.imageLibrary, [container('CONTAINS', C.imageLibraryGroup, [item('CONTAINS', 'IMAGE', null, imageRef(ref))])]),
      container('CONTAINS', C.measurements, [imageLevel, ...regions]),
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
    CodingSchemeIdentificationSequence: CODING_SCHEME_IDENTIFICATION,
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
    CurrentRequestedProcedureEvidenceSequence: [
      {
        StudyInstanceUID: ref.studyInstanceUid,
        ReferencedSeriesSequence: [{ SeriesInstanceUID: ref.seriesInstanceUid, ReferencedSOPSequence: [{ ReferencedSOPClassUID: ref.sopClassUid, ReferencedSOPInstanceUID: ref.sopInstanceUid }] }],
      },
    ],
    PerformedProcedureCodeSequence: [],
    ...content,
  };
}
