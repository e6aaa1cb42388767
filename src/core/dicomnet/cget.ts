/**
 * Retrieve by C-GET (Study Root, SCU): the PACS sends the study's instances back as C-STORE
 * sub-operations on our own association — no listener, no move destination the PACS must have
 * registered, and it works through a firewall that only lets us call out. Each instance goes to
 * the inbox and the history like a push. The count the PACS reports (and our own count against
 * the study's C-FIND instance count) decides success: fewer → DICOM_GET_PARTIAL with the counts,
 * what arrived is kept and getting again completes it.
 *
 * Storage contexts are proposed in Implicit/Explicit VR Little Endian (dcmjs-dimse's C-GET
 * negotiation; its extra contexts carry no SCP role): a PACS holding JPEG 2000 or JPEG must
 * decompress on the way, and one that cannot (Orthanc 1.10 for J2K) fails the sub-operation —
 * DICOM_GET_FAILED / _PARTIAL, nothing half-stored; C-MOVE or WADO-RS bring such studies as held.
 *
 * The library re-encodes a received dataset (dcmjs) before we see it, so C-GET files are
 * written from that encoding in the transfer syntax the sub-operation used; the listener's C-STORE
 * path keeps the peer's bytes as sent.
 */
import { InspectorError, toErrorInfo } from '../../shared/errors';
import type { DimsePeer } from './config';
import { dimse, type CStoreRequest, type CStoreResponse } from './dimse';
import { writeInstance } from './inbox';
import { fileMetaHeader } from './p10';
import { cFind } from './query';
import type { ReceivedInstance } from './records';
import { runAssociation, type AssociationOptions } from './send';

const { CGetRequest } = dimse.requests;
const { CStoreResponse: StoreResponse } = dimse.responses;
const { Status } = dimse.constants;

interface GetResponseLike {
  getStatus(): number;
  getCompleted(): number | undefined;
  getFailures(): number | undefined;
  getWarnings(): number | undefined;
}

export interface GetResult {
  completed: number;
  failed: number;
  warnings: number;
  expected: number;
  arrived: number;
}

export async function getStudy(
  dest: DimsePeer,
  study: string,
  into: { inbox: string; onStored?: (r: ReceivedInstance) => void; onInstance?: (r: ReceivedInstance) => void },
  opts: AssociationOptions,
): Promise<GetResult> {
  const [match] = await cFind(dest, { level: 'STUDY', studyInstanceUid: study }, opts);
  if (!match) throw new InspectorError('DICOM_STUDY_NOT_FOUND', `${dest.aet} has no study ${study}.`, { study });
  const expected = Number(match['NumberOfStudyRelatedInstances'] || NaN);
  const req = CGetRequest.createStudyGetRequest(study);
  let last: { status: number; completed: number; failed: number; warnings: number } | null = null;
  req.on('response', (r: GetResponseLike) => {
    if (r.getStatus() !== Status.Pending) last = { status: r.getStatus(), completed: r.getCompleted() ?? 0, failed: r.getFailures() ?? 0, warnings: r.getWarnings() ?? 0 };
  });
  let arrived = 0;
  const writes: Promise<void>[] = [];
  const storeFailures: string[] = [];
  const { failure } = await runAssociation(dest, [req], opts, (client) => {
    client.on('cStoreRequest', (request: CStoreRequest, callback: (r: CStoreResponse) => void) => {
      const response = StoreResponse.fromRequest(request);
      const ds = request.getDataset();
      const done = (async () => {
        try {
          if (!ds) throw new InspectorError('DICOM_STORE_FAILED', 'a C-GET sub-operation carried no dataset');
          const ts = ds.getTransferSyntaxUid();
          const p10 = Buffer.concat([
            fileMetaHeader({ sopClassUid: request.getAffectedSopClassUid(), sopInstanceUid: request.getAffectedSopInstanceUid(), transferSyntaxUid: ts, sourceAeTitle: dest.aet }),
            ds.getDenaturalizedDataset(),
          ]);
          const rec = await writeInstance(into.inbox, p10, { callingAet: dest.aet, peerHost: dest.host, expectSopInstanceUid: request.getAffectedSopInstanceUid(), sopClassUid: request.getAffectedSopClassUid() });
          into.onStored?.(rec);
          arrived++;
          into.onInstance?.(rec);
          response.setStatus(Status.Success);
        } catch (e) {
          storeFailures.push(toErrorInfo(e).code);
          response.setStatus(0xa700);
        }
        callback(response);
      })();
      writes.push(done);
    });
  });
  await Promise.all(writes);
  if (failure) throw Object.assign(failure, { details: { ...failure.details, expected, arrived } });
  const end = last as { status: number; completed: number; failed: number; warnings: number } | null;
  if (!end) throw new InspectorError('DICOM_GET_FAILED', `${dest.aet} sent no final C-GET response.`, { expected, arrived });
  const counts = { completed: end.completed, failed: end.failed, warnings: end.warnings, expected, arrived };
  const short = Number.isFinite(expected) && arrived < expected;
  if (end.status === Status.Success && end.failed === 0 && !short) return counts;
  if (arrived > 0 || end.status === 0xb000) {
    throw new InspectorError('DICOM_GET_PARTIAL', `${dest.aet} sent ${arrived} of ${Number.isFinite(expected) ? expected : '?'} instances by C-GET${end.failed ? `, ${end.failed} failed` : ''}${storeFailures.length ? ` (we could not store: ${[...new Set(storeFailures)].join(', ')})` : ''}.`, { ...counts, status: end.status });
  }
  throw new InspectorError('DICOM_GET_FAILED', `${dest.aet} did not send the study by C-GET: status 0x${end.status.toString(16)}.`, { ...counts, status: end.status });
}
