/**
 * Query/retrieve against a PACS over DIMSE: C-FIND at study or series level (Study Root) by
 * patient id/name, study date (or range), modality, accession number or study UID, and C-MOVE of a
 * study or series to an AE title — normally our own listener, which stores what arrives in the
 * inbox like any push. A move that moves only part of what was asked is an error
 * (DICOM_MOVE_PARTIAL, with the counts); what did arrive is kept, and moving again fills the rest.
 */
import { InspectorError } from '../../shared/errors';
import type { DimsePeer } from './config';
import { dimse, type CFindResponse, type CMoveResponse } from './dimse';
import { cancelledError, runAssociation, type AssociationOptions } from './send';

const { CFindRequest, CMoveRequest } = dimse.requests;
const { Status } = dimse.constants;

export interface FindQuery {
  /** IMAGE: instance rows with their SOP Class UID (used by C-GET to know what to propose). */
  level: 'STUDY' | 'SERIES' | 'IMAGE';
  patientId?: string;
  patientName?: string;
  /** YYYYMMDD or a range YYYYMMDD-YYYYMMDD (either end may be open). */
  studyDate?: string;
  modality?: string;
  accessionNumber?: string;
  studyInstanceUid?: string;
}

export type FindMatch = Record<string, string>;

function keys(q: FindQuery): Record<string, string> {
  const k: Record<string, string> = {};
  if (q.patientId) k['PatientID'] = q.patientId;
  if (q.patientName) k['PatientName'] = q.patientName;
  if (q.studyDate) {
    if (!/^(\d{8})?(-(\d{8})?)?$/.test(q.studyDate)) throw new InspectorError('USAGE', `A study date is YYYYMMDD or YYYYMMDD-YYYYMMDD; got "${q.studyDate}".`);
    k['StudyDate'] = q.studyDate;
  }
  if (q.accessionNumber) k['AccessionNumber'] = q.accessionNumber;
  if (q.studyInstanceUid) k['StudyInstanceUID'] = q.studyInstanceUid;
  if (q.modality) k[q.level === 'STUDY' ? 'ModalitiesInStudy' : 'Modality'] = q.modality;
  return k;
}

const flat = (v: unknown): string => {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map(flat).join('\\');
  if (typeof v === 'object' && 'Alphabetic' in (v as object)) return String((v as { Alphabetic: string }).Alphabetic);
  return String(v);
};

/** `onMatch` hears each match as it comes (the CLI prints them then, so a cancelled query has shown what it got). */
export async function cFind(dest: DimsePeer, q: FindQuery, opts: AssociationOptions, onMatch?: (m: FindMatch) => void): Promise<FindMatch[]> {
  const k = keys(q);
  const req =
    q.level === 'STUDY'
      ? CFindRequest.createStudyFindRequest(k)
      : q.level === 'SERIES'
        ? CFindRequest.createSeriesFindRequest({ ...k, PatientID: k['PatientID'] ?? '' })
        : CFindRequest.createImageFindRequest({ SeriesInstanceUID: '', SOPInstanceUID: '', SOPClassUID: '', ...k });
  const matches: FindMatch[] = [];
  let final: number | null = null;
  req.on('response', (r: CFindResponse) => {
    const s = r.getStatus();
    if ((s === Status.Pending || s === 0xff01) && r.hasDataset()) {
      const el = r.getDataset()!.getElements();
      const m = Object.fromEntries(Object.entries(el).filter(([name]) => name !== 'QueryRetrieveLevel' && name !== 'SpecificCharacterSet').map(([name, v]) => [name, flat(v)]));
      matches.push(m);
      onMatch?.(m);
    } else if (s !== Status.Pending && s !== 0xff01) final = s;
  });
  const { failure } = await runAssociation(dest, [req], opts);
  const to = `${dest.aet}@${dest.host}:${dest.port}`;
  // Cancelled (0xFE00, or the peer ignored the C-CANCEL and was aborted): the matches that came are kept on the error.
  if (final === Status.Cancel || failure?.code === 'DICOM_CANCELLED') {
    throw Object.assign(failure?.code === 'DICOM_CANCELLED' ? failure : cancelledError(to, { status: Status.Cancel }), { matches });
  }
  if (failure) throw failure;
  if (final === null) throw new InspectorError('DICOM_FIND_FAILED', `${dest.aet} sent no final C-FIND response (no accepted presentation context?).`);
  if (final !== Status.Success) throw new InspectorError('DICOM_FIND_FAILED', `${dest.aet} ended the C-FIND with status 0x${(final as number).toString(16)}.`, { status: final });
  return matches;
}

export interface MoveResult {
  completed: number;
  failed: number;
  warnings: number;
}

export async function cMove(dest: DimsePeer, target: { study: string; series?: string }, moveDestination: string, opts: AssociationOptions): Promise<MoveResult> {
  const req = target.series ? CMoveRequest.createSeriesMoveRequest(moveDestination, target.study, target.series) : CMoveRequest.createStudyMoveRequest(moveDestination, target.study);
  let last: { status: number; completed: number; failed: number; warnings: number } | null = null;
  // Some PACS (Orthanc) stop at the first failed sub-operation and send a bare failure: the pending
  // responses before it are the only record of what was moved.
  let seen = 0;
  req.on('response', (r: CMoveResponse) => {
    seen = Math.max(seen, r.getCompleted() ?? 0);
    if (r.getStatus() !== Status.Pending) last = { status: r.getStatus(), completed: Math.max(seen, r.getCompleted() ?? 0), failed: r.getFailures() ?? 0, warnings: r.getWarnings() ?? 0 };
  });
  const { failure } = await runAssociation(dest, [req], opts);
  if (failure) throw Object.assign(failure, { details: { ...failure.details, completed: seen } });
  const end = last as { status: number; completed: number; failed: number; warnings: number } | null;
  if (!end) throw new InspectorError('DICOM_MOVE_FAILED', `${dest.aet} sent no final C-MOVE response.`);
  const counts = { completed: end.completed, failed: end.failed, warnings: end.warnings };
  if (end.status === Status.Success && end.failed === 0) return counts;
  if (end.status === Status.Cancel) throw cancelledError(`${dest.aet}@${dest.host}:${dest.port}`, { ...counts, status: end.status });
  // 0xB000: some sub-operations failed; 0xA801: move destination unknown; 0xA7xx out of resources; 0xC000 unable to process.
  if (end.status === 0xb000 || end.completed > 0) {
    throw new InspectorError('DICOM_MOVE_PARTIAL', `${dest.aet} moved ${end.completed} instances to ${moveDestination}, ${end.failed} failed.`, { ...counts, status: end.status });
  }
  const why = end.status === 0xa801 ? `it does not know the move destination ${moveDestination}` : `status 0x${end.status.toString(16)}`;
  throw new InspectorError('DICOM_MOVE_FAILED', `${dest.aet} did not move the ${target.series ? 'series' : 'study'}: ${why}.`, { ...counts, status: end.status });
}

/**
 * C-MOVE of a study to our own running listener, checked against what actually arrived: the
 * C-FIND count of the study's instances is what was asked for, the listener's stored events are
 * what came. Fewer → DICOM_MOVE_PARTIAL (what arrived stays in the inbox; moving again completes it).
 */
export async function retrieveStudy(
  dest: DimsePeer,
  study: string,
  listener: { aeTitle: string; on(e: 'stored', f: (r: { studyInstanceUid: string }) => void): unknown; off(e: 'stored', f: (r: { studyInstanceUid: string }) => void): unknown },
  opts: AssociationOptions,
): Promise<MoveResult & { expected: number; arrived: number }> {
  const [match] = await cFind(dest, { level: 'STUDY', studyInstanceUid: study }, opts);
  if (!match) throw new InspectorError('DICOM_STUDY_NOT_FOUND', `${dest.aet} has no study ${study}.`, { study });
  const expected = Number(match['NumberOfStudyRelatedInstances'] || NaN);
  let arrived = 0;
  const count = (r: { studyInstanceUid: string }) => {
    if (r.studyInstanceUid === study) arrived++;
  };
  listener.on('stored', count);
  try {
    let result: MoveResult;
    try {
      result = await cMove(dest, { study }, listener.aeTitle, opts);
    } catch (e) {
      const err = e as InspectorError;
      if (err.code === 'DICOM_MOVE_FAILED' && arrived > 0) {
        throw new InspectorError('DICOM_MOVE_PARTIAL', `${dest.aet} moved ${arrived} of ${Number.isFinite(expected) ? expected : '?'} instances, then failed.`, { ...err.details, expected, arrived });
      }
      if (err.details) Object.assign(err.details, { expected, arrived });
      throw err;
    }
    if (Number.isFinite(expected) && arrived < expected) {
      throw new InspectorError('DICOM_MOVE_PARTIAL', `${dest.aet} reported success but only ${arrived} of ${expected} instances arrived.`, { ...result, expected, arrived });
    }
    return { ...result, expected, arrived };
  } finally {
    listener.off('stored', count);
  }
}
