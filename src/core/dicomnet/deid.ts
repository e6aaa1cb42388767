/**
 * De-identification of the objects we send, for destinations marked `deidentify: true` (research
 * archives, teleradiology): PS3.15 Annex E Basic Application Confidentiality Profile with the Clean
 * Descriptors option for our own descriptions (they hold pack names, never patient data). Applied to
 * the naturalized dataset before it is written, recursively through sequences:
 * - patient name → "Anonymous^Patient", patient id → a pseudonym (the same patient always gets the same one
 *   under the same key, so a study's objects stay together), other identifying attributes emptied
 *   (type 2) or removed;
 * - every instance UID (not the registry UIDs under 1.2.840.10008) replaced by a UID derived from it
 *   and the key, so references inside and across our objects still match;
 * - dates and times replaced by dummies; person names (reviewers) replaced;
 * - private attributes removed; Patient Identity Removed YES plus the method codes.
 * Kept: Device Serial Number — ours (the pack's hash prefix; SEG needs it, type 1), never the modality's.
 * A burned-in source (Burned In Annotation YES) cannot be cleaned here: DICOM_DEID_BURNED_IN.
 */
import { createHash } from 'node:crypto';
import { InspectorError } from '../../shared/errors';
import { code, type Naturalized } from './objects/common';
import { derivedUid } from './uid';

const EMPTY = new Set([
  'PatientBirthDate', 'PatientSex', 'ReferringPhysicianName', 'StudyID', 'AccessionNumber', 'PatientOrientation', 'ContentCreatorName',
]);
const REMOVE = new Set([
  'IssuerOfPatientID', 'OtherPatientIDs', 'OtherPatientNames', 'OtherPatientIDsSequence', 'PatientAddress', 'PatientAge', 'PatientSize', 'PatientWeight',
  'PatientBirthTime', 'EthnicGroup', 'PatientComments', 'InstitutionName', 'InstitutionAddress', 'InstitutionalDepartmentName', 'StationName',
  'StudyDescription', 'PerformingPhysicianName', 'OperatorsName', 'RequestAttributesSequence', 'AdmissionID',
  'MedicalRecordLocator', 'DerivationDescription', 'ImageComments', 'PatientTelephoneNumbers', 'MilitaryRank', 'BranchOfService',
  'CountryOfResidence', 'RegionOfResidence', 'Occupation', 'AdditionalPatientHistory', 'PatientMotherBirthName', 'ResponsiblePerson',
]);
const PERSON_NAMES = new Set(['PatientName', 'VerifyingObserverName', 'PersonName']);
const TEXT_DUMMY = new Set(['VerifyingOrganization']);
const DATE = /Date$/;
const TIME = /Time$/;
const DATETIME = /DateTime$/;
/** UIDs that name things in the standard, not instances: kept. */
const KEEP_UID = new Set(['SOPClassUID', 'ReferencedSOPClassUID', 'MediaStorageSOPClassUID', 'TransferSyntaxUID', 'CodingSchemeUID', 'ImplementationClassUID']);
const UID_KEYS = /UID$|^UID$/;

export interface DeidOptions {
  uidRoot: string;
  /** Secret per installation: without it nobody can recompute the pseudonyms or map UIDs back. */
  key: string;
}

export function pseudonym(patientId: string, key: string): string {
  return `ANON-${createHash('sha256').update(`${key}\0${patientId}`).digest('hex').slice(0, 12).toUpperCase()}`;
}

function walk(ds: Naturalized, o: DeidOptions): Naturalized {
  const out: Naturalized = {};
  for (const [k, v] of Object.entries(ds)) {
    if (/^[0-9A-Fa-f]{8}$/.test(k) && parseInt(k.slice(0, 4), 16) % 2 === 1) continue; // private attribute
    if (REMOVE.has(k)) continue;
    if (k === '_vrMap' || k === 'PixelData') {
      out[k] = v;
      continue;
    }
    if (k === 'PatientID') out[k] = pseudonym(String(v ?? ''), o.key);
    else if (PERSON_NAMES.has(k)) out[k] = k === 'PatientName' ? 'Anonymous^Patient' : 'Anonymous^Person';
    else if (TEXT_DUMMY.has(k)) out[k] = 'ANONYMOUS';
    else if (EMPTY.has(k)) out[k] = '';
    else if (DATETIME.test(k) && typeof v === 'string' && v) out[k] = '19000101000000';
    else if (DATE.test(k) && typeof v === 'string' && v) out[k] = '19000101';
    else if (TIME.test(k) && typeof v === 'string' && v) out[k] = '000000';
    else if (UID_KEYS.test(k) && !KEEP_UID.has(k) && typeof v === 'string' && v && !v.startsWith('1.2.840.10008.')) out[k] = derivedUid(o.uidRoot, `${o.key}\0${v}`);
    else if (Array.isArray(v) && v.length > 0 && typeof v[0] === 'object' && v[0] !== null && !(v[0] instanceof ArrayBuffer)) out[k] = v.map((item) => walk(item as Naturalized, o));
    else out[k] = v;
  }
  return out;
}

export function deidentify(ds: Naturalized, o: DeidOptions, source?: Naturalized): Naturalized {
  if (ds['BurnedInAnnotation'] === 'YES' && source && source['BurnedInAnnotation'] === 'YES') {
    throw new InspectorError('DICOM_DEID_BURNED_IN', 'The source image has burned-in annotation; its pixels cannot be de-identified here, so no de-identified Secondary Capture is made.');
  }
  const out = walk(ds, o);
  out['PatientIdentityRemoved'] = 'YES';
  out['DeidentificationMethod'] = 'Inspector PS3.15 Basic Profile, Clean Descriptors'; // LO: at most 64
  out['DeidentificationMethodCodeSequence'] = [code('113100', 'DCM', 'Basic Application Confidentiality Profile'), code('113105', 'DCM', 'Clean Descriptors Option')];
  out['LongitudinalTemporalInformationModified'] = 'REMOVED';
  return out;
}
