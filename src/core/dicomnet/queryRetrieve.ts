/**
 * The worklist's query/retrieve against the configured PACS (`query:` in dicom.yaml): a study
 * search by patient id/name, date (range), modality and accession — C-FIND or QIDO-RS — with the
 * answers in one shape whichever was used, and retrieval of a chosen study into the node's inbox
 * by C-GET (default: nothing to register at the PACS), C-MOVE to our listener, or WADO-RS. What
 * arrives is recorded and handed to the node like a push, so auto-inspect rules apply to it.
 */
import { InspectorError } from '../../shared/errors';
import { getStudy } from './cget';
import type { QueryPacs } from './config';
import { qido, wadoStudy } from './dicomweb';
import { cFind, retrieveStudy, type FindQuery } from './query';
import type { ReceivedInstance } from './records';
import type { AssociationOptions } from './send';

export interface StudyMatch {
  studyInstanceUid: string;
  patientId: string;
  patientName: string;
  studyDate: string;
  accessionNumber: string;
  description: string;
  modalities: string[];
  /** NumberOfStudyRelatedInstances when the PACS says it. */
  instances: number | null;
}

export type StudyQuery = Omit<FindQuery, 'level' | 'studyInstanceUid'>;

// C-FIND answers by keyword, QIDO-RS by tag.
const pick = (m: Record<string, string>, keyword: string, tag: string) => m[keyword] ?? m[tag] ?? m[tag.toLowerCase()] ?? '';

export function toStudyMatch(m: Record<string, string>): StudyMatch {
  const n = Number(pick(m, 'NumberOfStudyRelatedInstances', '00201208'));
  return {
    studyInstanceUid: pick(m, 'StudyInstanceUID', '0020000D'),
    patientId: pick(m, 'PatientID', '00100020'),
    patientName: pick(m, 'PatientName', '00100010'),
    studyDate: pick(m, 'StudyDate', '00080020'),
    accessionNumber: pick(m, 'AccessionNumber', '00080050'),
    description: pick(m, 'StudyDescription', '00081030'),
    modalities: pick(m, 'ModalitiesInStudy', '00080061').split('\\').filter(Boolean),
    instances: Number.isFinite(n) && pick(m, 'NumberOfStudyRelatedInstances', '00201208') !== '' ? n : null,
  };
}

function notConfigured(): never {
  throw new InspectorError('DICOM_QUERY_NOT_CONFIGURED', 'No PACS to query: add `query: { aet, host, port }` (or `{ url }` for DICOMweb) to dicom.yaml.');
}

export async function findStudies(pacs: QueryPacs | undefined, q: StudyQuery, opts: AssociationOptions): Promise<StudyMatch[]> {
  if (!pacs) notConfigured();
  if (!Object.values(q).some((v) => typeof v === 'string' && v.trim() !== '')) {
    throw new InspectorError('DICOM_QUERY_EMPTY', 'Give at least one of patient id, name, date, modality or accession: an open query would list the whole archive.');
  }
  const query: FindQuery = { level: 'STUDY', ...q };
  const matches = 'url' in pacs ? await qido(pacs.url, query, opts.timeoutSeconds) : await cFind(pacs, query, opts);
  return matches.map(toStudyMatch).filter((m) => m.studyInstanceUid);
}

export interface RetrieveInto {
  inbox: string;
  /** Records the instance (before the sub-operation is answered: a failed record fails it). */
  record: (r: ReceivedInstance) => void;
  /** The node's arrival hook (auto-inspect once the study is stable). */
  arrived: (r: ReceivedInstance) => void;
  /** Our running listener, for C-MOVE. */
  listener?: { aeTitle: string; on(e: 'stored', f: (r: { studyInstanceUid: string }) => void): unknown; off(e: 'stored', f: (r: { studyInstanceUid: string }) => void): unknown };
}

export async function retrieveFromPacs(pacs: QueryPacs | undefined, study: string, into: RetrieveInto, opts: AssociationOptions): Promise<{ method: 'get' | 'move' | 'wado'; expected: number | null; arrived: number }> {
  if (!pacs) notConfigured();
  if ('url' in pacs) {
    // Each instance is announced as it is stored (as C-GET does), so a cancel keeps what came announced too.
    const got = await wadoStudy(pacs.url, study, into.inbox, (r) => {
        into.record(r);
        into.arrived(r);
      }, { timeoutSeconds: opts.timeoutSeconds * 4, signal: opts.signal });
    return { method: 'wado', expected: null, arrived: got.length };
  }
  if (pacs.retrieve === 'move') {
    if (!into.listener) throw new InspectorError('DICOM_LISTENER_OFF', 'C-MOVE needs our listener running to receive the study.');
    // The listener records and announces what arrives itself.
    const r = await retrieveStudy(pacs, study, into.listener, opts);
    return { method: 'move', expected: Number.isFinite(r.expected) ? r.expected : null, arrived: r.arrived };
  }
  const r = await getStudy(pacs, study, { inbox: into.inbox, onStored: into.record, onInstance: into.arrived }, opts);
  return { method: 'get', expected: Number.isFinite(r.expected) ? r.expected : null, arrived: r.arrived };
}
