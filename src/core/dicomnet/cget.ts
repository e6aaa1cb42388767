/**
 * Retrieve by C-GET (Study Root, SCU): the PACS sends the study's instances back as C-STORE
 * sub-operations on our own association — no listener, no move destination the PACS must have
 * registered, and it works through a firewall that only lets us call out. Each instance goes to
 * the inbox and the history like a push. The count the PACS reports (and our own count against
 * the study's C-FIND instance count) decides success: fewer → DICOM_GET_PARTIAL with the counts,
 * what arrived is kept and getting again completes it.
 *
 * Storage contexts: per SOP class of the study (asked first by an image-level C-FIND), one
 * uncompressed context and one per compressed syntax our decoders read (getContexts.ts), so a PACS
 * holding JPEG 2000 / JPEG / RLE / JPEG-LS sends the instances as held; we accept whichever the
 * PACS chooses and write the bytes as they came (rawStore.ts), no transcoding either side.
 */
import { InspectorError, toErrorInfo } from '../../shared/errors';
import type { DimsePeer } from './config';
import { dimse, type Association, type CStoreRequest, type CStoreResponse, type Client as DimseClient } from './dimse';
import { writeInstance } from './inbox';
import { fileMetaHeader } from './p10';
import { addStorageContexts, COMMON_IMAGE_CLASSES, storageProposals } from './getContexts';
import { cFind } from './query';
import { RawStoreCapture } from './rawStore';
import type { ReceivedInstance } from './records';
import { cancelledError, runAssociation, type AssociationOptions } from './send';

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

/**
 * The SOP classes the study holds, by an image-level C-FIND (Study Root, relational on the study
 * UID). A PACS that refuses it gets our common image classes proposed instead.
 */
export async function sopClassesOfStudy(dest: DimsePeer, study: string, opts: AssociationOptions): Promise<string[]> {
  const rows = await cFind(dest, { level: 'IMAGE', studyInstanceUid: study }, opts).catch(() => []);
  const classes = [...new Set(rows.map((r) => r['SOPClassUID'] ?? '').filter(Boolean))];
  return classes.length ? classes : COMMON_IMAGE_CLASSES;
}

/** Our storage contexts go into the library's association just before the A-ASSOCIATE-RQ is written (why: getContexts.ts). */
function proposeStorage(client: DimseClient, sopClasses: string[], raw: RawStoreCapture): void {
  const network = (client as unknown as { network?: Record<string, unknown> }).network;
  if (!network || typeof network['sendAssociationRequest'] !== 'function') throw new InspectorError('DICOM_GET_FAILED', 'dcmjs-dimse changed: its client has no network layer to propose storage contexts on.');
  const send = (network['sendAssociationRequest'] as (a: Association) => void).bind(network);
  network['sendAssociationRequest'] = (association: Association) => {
    addStorageContexts(association, storageProposals(sopClasses));
    send(association);
  };
  network['createStoreWritableStream'] = raw.createStoreWritableStream.bind(raw);
  network['createDatasetFromStoreWritableStream'] = raw.createDatasetFromStoreWritableStream.bind(raw);
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
  const sopClasses = await sopClassesOfStudy(dest, study, opts);
  const req = CGetRequest.createStudyGetRequest(study);
  req.setAddStorageSopClassesToAssociation(false);
  const raw = new RawStoreCapture();
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
      const got = raw.take(request.getDataset());
      const done = (async () => {
        try {
          if (!got) throw new InspectorError('DICOM_STORE_FAILED', 'a C-GET sub-operation carried no dataset');
          // The meta header names the syntax of the context it came on; the dataset bytes are the PACS's.
          const p10 = Buffer.concat([
            fileMetaHeader({ sopClassUid: request.getAffectedSopClassUid() || got.sopClass, sopInstanceUid: request.getAffectedSopInstanceUid(), transferSyntaxUid: got.ts, sourceAeTitle: dest.aet }),
            got.bytes,
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
  }, (client) => proposeStorage(client, sopClasses, raw));
  await Promise.all(writes);
  if (failure) throw Object.assign(failure, { details: { ...failure.details, expected, arrived } });
  const end = last as { status: number; completed: number; failed: number; warnings: number } | null;
  if (!end) throw new InspectorError('DICOM_GET_FAILED', `${dest.aet} sent no final C-GET response.`, { expected, arrived });
  const counts = { completed: end.completed, failed: end.failed, warnings: end.warnings, expected, arrived };
  const short = Number.isFinite(expected) && arrived < expected;
  if (end.status === Status.Success && end.failed === 0 && !short) return counts;
  // Cancelled: what arrived stays in the inbox and the history; getting again completes it.
  if (end.status === Status.Cancel) throw cancelledError(`${dest.aet}@${dest.host}:${dest.port}`, { ...counts, status: end.status });
  if (arrived > 0 || end.status === 0xb000) {
    throw new InspectorError('DICOM_GET_PARTIAL', `${dest.aet} sent ${arrived} of ${Number.isFinite(expected) ? expected : '?'} instances by C-GET${end.failed ? `, ${end.failed} failed` : ''}${storeFailures.length ? ` (we could not store: ${[...new Set(storeFailures)].join(', ')})` : ''}.`, { ...counts, status: end.status });
  }
  throw new InspectorError('DICOM_GET_FAILED', `${dest.aet} did not send the study by C-GET: status 0x${end.status.toString(16)}.`, { ...counts, status: end.status });
}
