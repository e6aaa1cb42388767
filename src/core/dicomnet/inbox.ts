/**
 * The inbox: `<inbox>/<Study UID>/<Series UID>/<SOP Instance UID>.dcm`, written to a temporary
 * name and renamed, so a crash never leaves half a file where the node would read it. Shared by
 * the C-STORE listener and DICOMweb retrieval.
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InspectorError } from '../../shared/errors';
import { readHeader } from './p10';
import type { ReceivedInstance } from './records';

export async function writeInstance(
  inbox: string,
  p10: Buffer,
  from: { callingAet: string; peerHost: string; expectSopInstanceUid?: string; sopClassUid?: string },
): Promise<ReceivedInstance> {
  const h = readHeader(p10);
  if (from.expectSopInstanceUid !== undefined && h.sopInstanceUid !== from.expectSopInstanceUid) {
    throw new InspectorError('DICOM_INSTANCE_UID_MISMATCH', `The dataset's SOP Instance UID ${h.sopInstanceUid} differs from the request's ${from.expectSopInstanceUid}.`);
  }
  const dir = join(inbox, h.studyInstanceUid, h.seriesInstanceUid);
  const path = join(dir, `${h.sopInstanceUid}.dcm`);
  try {
    await mkdir(dir, { recursive: true });
    const tmp = `${path}.${process.pid}.part`;
    await writeFile(tmp, p10);
    await rename(tmp, path);
  } catch (e) {
    throw new InspectorError('DICOM_STORE_FAILED', `Cannot write ${path}: ${(e as Error).message}`, { path });
  }
  return {
    ...h,
    sopClassUid: from.sopClassUid || h.sopClassUid,
    path,
    bytes: p10.length,
    sha256: createHash('sha256').update(p10).digest('hex'),
    callingAet: from.callingAet,
    peerHost: from.peerHost,
    receivedAt: Date.now(),
  };
}
