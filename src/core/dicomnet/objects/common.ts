/**
 * What every object we create shares: the patient and study copied from the source instance (so
 * a PACS files it with the images it is about), our equipment, fresh UIDs, and the Part 10 writer.
 */
import { readFileSync } from 'node:fs';
import { InspectorError } from '../../../shared/errors';
import { dcmjs } from '../dimse';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION } from '../p10';

export type Naturalized = Record<string, unknown>;

export const EXPLICIT_LE = '1.2.840.10008.1.2.1';

/** Reads a source instance into dcmjs's keyword form. */
export function readSource(path: string): Naturalized {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new InspectorError('DICOM_SOURCE_MISSING', `The source instance ${path} is no longer there.`, { path });
  }
  try {
    const dict = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    return dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  } catch (e) {
    throw new InspectorError('DICOM_SOURCE_UNREADABLE', `The source instance ${path} cannot be read: ${(e as Error).message}`, { path });
  }
}

const PATIENT_STUDY = [
  'SpecificCharacterSet',
  'PatientName',
  'PatientID',
  'IssuerOfPatientID',
  'PatientBirthDate',
  'PatientSex',
  'StudyInstanceUID',
  'StudyDate',
  'StudyTime',
  'ReferringPhysicianName',
  'StudyID',
  'AccessionNumber',
  'StudyDescription',
] as const;

/** Type 2 attributes must be present even when empty. */
const TYPE2 = new Set(['PatientName', 'PatientID', 'PatientBirthDate', 'PatientSex', 'StudyDate', 'StudyTime', 'ReferringPhysicianName', 'StudyID', 'AccessionNumber']);

export function patientAndStudy(src: Naturalized): Naturalized {
  const out: Naturalized = {};
  for (const k of PATIENT_STUDY) {
    const v = src[k];
    if (v !== undefined && v !== null && v !== '') out[k] = v;
    else if (TYPE2.has(k)) out[k] = '';
  }
  if (!out['StudyInstanceUID']) throw new InspectorError('DICOM_SOURCE_UNREADABLE', 'The source instance has no Study Instance UID.');
  return out;
}

export function dicomDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}`;
}

export function dicomTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

export function equipment(softwareVersion: string): Naturalized {
  return { Manufacturer: 'Inspector', ManufacturerModelName: 'Inspector DICOM node', SoftwareVersions: softwareVersion };
}

/** A naturalized dataset → DICOM Part 10 bytes, explicit VR little endian. */
export function writePart10(ds: Naturalized): Buffer {
  const sopClass = ds['SOPClassUID'] as string;
  const sopInstance = ds['SOPInstanceUID'] as string;
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClass,
    MediaStorageSOPInstanceUID: sopInstance,
    TransferSyntaxUID: EXPLICIT_LE,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION,
  };
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(ds);
  return Buffer.from(dict.write({ allowInvalidVRLength: false }));
}

export interface Code {
  CodeValue: string;
  CodingSchemeDesignator: string;
  CodeMeaning: string;
}

export const code = (value: string, scheme: string, meaning: string): Code => ({ CodeValue: value, CodingSchemeDesignator: scheme, CodeMeaning: meaning });

/** Our private coding scheme for pack labels that carry no standard code (PS3.16 §8.2: "99" prefix). */
export const PRIVATE_SCHEME = '99INSPECTOR';

/**
 * How a pack codes one label in DICOM (pack.yaml `labels[].code` and `category`), by label id: a
 * standard concept (SNOMED CT, DCM…) a PACS or viewer recognises. A label without one gets our
 * private code.
 */
export interface LabelCoding {
  code?: Code;
  category?: Code;
}
export type LabelCodings = Record<string, LabelCoding>;

type ManifestConcept = { scheme: string; value: string; meaning: string };
const fromManifest = (c: ManifestConcept): Code => code(c.value, c.scheme, c.meaning);

/** The codings a pack's labels declare (manifest labels); labels with neither field are left out. */
export function labelCodings(labels: readonly { id: string; code?: ManifestConcept | undefined; category?: ManifestConcept | undefined }[]): LabelCodings {
  const out: LabelCodings = {};
  for (const l of labels) {
    if (!l.code && !l.category) continue;
    out[l.id] = { ...(l.code ? { code: fromManifest(l.code) } : {}), ...(l.category ? { category: fromManifest(l.category) } : {}) };
  }
  return out;
}

/** The label's standard code when the pack gives one (`standard`), else our private code of its id. */
export function labelCode(label: string, meaning?: string, standard?: Code): Code {
  if (standard) return { ...standard };
  // SH holds 16 characters; longer label ids keep a stable, distinct short form.
  const value = label.length <= 16 ? label : `${label.slice(0, 9)}~${Buffer.from(label).toString('base64url').slice(-6)}`;
  return code(value, PRIVATE_SCHEME, (meaning ?? label).slice(0, 64));
}

export const CODING_SCHEME_IDENTIFICATION: Naturalized[] = [
  { CodingSchemeDesignator: PRIVATE_SCHEME, CodingSchemeName: 'Inspector pack labels', CodingSchemeResponsibleOrganization: 'Inspector' },
];

/** Every code item anywhere in a naturalized dataset (sequences walked; pixel data skipped). */
export function codesIn(ds: unknown, out: Code[] = []): Code[] {
  if (Array.isArray(ds)) for (const v of ds) codesIn(v, out);
  else if (ds && typeof ds === 'object' && !(ds instanceof ArrayBuffer) && !ArrayBuffer.isView(ds)) {
    const o = ds as Record<string, unknown>;
    if (typeof o['CodingSchemeDesignator'] === 'string' && typeof o['CodeValue'] === 'string') out.push(o as unknown as Code);
    for (const v of Object.values(o)) if (typeof v === 'object') codesIn(v, out);
  }
  return out;
}

/**
 * The Coding Scheme Identification Sequence for the codes an object uses: each private ("99…")
 * scheme among them — ours, or one a pack's label codes use — is declared; a standard scheme of
 * PS3.16 Table 8-1 (SCT, DCM, UCUM…) needs no entry.
 */
export function codingSchemesFor(codes: readonly Code[]): Naturalized[] {
  const privateSchemes = [...new Set(codes.map((c) => c.CodingSchemeDesignator).filter((d) => d.startsWith('99')))].sort();
  return privateSchemes.map((d) => (d === PRIVATE_SCHEME ? CODING_SCHEME_IDENTIFICATION[0]! : { CodingSchemeDesignator: d, CodingSchemeName: 'Private scheme of a model pack' }));
}

/** The Coding Scheme Identification Sequence attribute for the codes of `ds`; nothing when none needs declaring. */
export function codingSchemeIdentification(ds: unknown): Naturalized {
  const declared = codingSchemesFor(codesIn(ds));
  return declared.length ? { CodingSchemeIdentificationSequence: declared } : {};
}

/**
 * The Derivation Image Sequence item of an object computed from one source image (SEG,
 * Parametric Map): the source as "Source image for image processing operation", and how it was
 * derived (`derivation`: e.g. 113076 Segmentation, 113073 Quantitative analysis).
 */
export function derivedFrom(ref: { sopClassUid: string; sopInstanceUid: string }, derivation: Code): Naturalized {
  return {
    SourceImageSequence: [
      {
        ReferencedSOPClassUID: ref.sopClassUid,
        ReferencedSOPInstanceUID: ref.sopInstanceUid,
        PurposeOfReferenceCodeSequence: [code('121322', 'DCM', 'Source image for image processing operation')],
      },
    ],
    DerivationCodeSequence: [derivation],
  };
}
