/**
 * DICOMweb for PACS that prefer HTTP (PS3.18): QIDO-RS search (studies, or series of a study)
 * and WADO-RS retrieval of a whole study into the inbox (multipart/related; type="application/dicom"),
 * recorded like a C-STORE from that server. STOW-RS lives with the other senders (send.ts).
 */
import { InspectorError } from '../../shared/errors';
import { writeInstance } from './inbox';
import type { ReceivedInstance } from './records';
import type { FindQuery } from './query';

function endpoint(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

async function get(url: string, accept: string, timeoutSeconds: number): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { Accept: accept }, signal: AbortSignal.timeout(timeoutSeconds * 1000) });
  } catch (e) {
    const err = e as Error;
    if (err.name === 'TimeoutError') throw new InspectorError('DICOM_TIMEOUT', `${url} timed out.`, { url });
    throw new InspectorError('DICOM_PEER_UNREACHABLE', `${url} does not answer: ${(err as Error & { cause?: Error }).cause?.message ?? err.message}`, { url });
  }
  if (!res.ok) throw new InspectorError('DICOMWEB_REQUEST_FAILED', `${url} answered HTTP ${res.status}.`, { url, status: res.status });
  return res;
}

/** DICOM JSON (PS3.18 F.2) → keyword-less flat map of tag → first value as text. */
function flatten(obj: Record<string, { vr: string; Value?: unknown[] }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [tag, el] of Object.entries(obj)) {
    const v = el.Value ?? [];
    out[tag] = v.map((x) => (x && typeof x === 'object' && 'Alphabetic' in x ? (x as { Alphabetic: string }).Alphabetic : String(x))).join('\\');
  }
  return out;
}

export async function qido(base: string, q: FindQuery, timeoutSeconds = 15): Promise<Record<string, string>[]> {
  const p = new URLSearchParams();
  if (q.patientId) p.set('PatientID', q.patientId);
  if (q.patientName) p.set('PatientName', q.patientName);
  if (q.studyDate) p.set('StudyDate', q.studyDate);
  if (q.accessionNumber) p.set('AccessionNumber', q.accessionNumber);
  if (q.modality) p.set(q.level === 'STUDY' ? 'ModalitiesInStudy' : 'Modality', q.modality);
  const path = q.level === 'SERIES' && q.studyInstanceUid ? `/studies/${q.studyInstanceUid}/series` : '/studies';
  if (q.level === 'STUDY' && q.studyInstanceUid) p.set('StudyInstanceUID', q.studyInstanceUid);
  const res = await get(`${endpoint(base, path)}?${p}`, 'application/dicom+json', timeoutSeconds);
  const text = await res.text();
  if (!text) return [];
  return (JSON.parse(text) as Record<string, { vr: string; Value?: unknown[] }>[]).map(flatten);
}

/** Splits a multipart/related body into its parts' bodies. */
export function multipartParts(body: Buffer, contentType: string): Buffer[] {
  const m = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!m) throw new InspectorError('DICOMWEB_BAD_RESPONSE', `No multipart boundary in "${contentType}".`);
  const delimiter = Buffer.from(`--${m[1]}`);
  const parts: Buffer[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0) {
      let content = part.subarray(headerEnd + 4);
      if (content.subarray(content.length - 2).toString() === '\r\n') content = content.subarray(0, content.length - 2);
      parts.push(Buffer.from(content));
    }
    at = next;
  }
  return parts;
}

/** WADO-RS: every instance of a study into the inbox; `record` is called once per instance. */
export async function wadoStudy(base: string, studyUid: string, inbox: string, record: (r: ReceivedInstance) => void, timeoutSeconds = 60): Promise<ReceivedInstance[]> {
  const url = endpoint(base, `/studies/${studyUid}`);
  const res = await get(url, 'multipart/related; type="application/dicom"; transfer-syntax=*', timeoutSeconds);
  const parts = multipartParts(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type') ?? '');
  const host = new URL(base).hostname;
  const out: ReceivedInstance[] = [];
  for (const p of parts) {
    const rec = await writeInstance(inbox, p, { callingAet: 'DICOMWEB', peerHost: host });
    record(rec);
    out.push(rec);
  }
  if (out.length === 0) throw new InspectorError('DICOMWEB_BAD_RESPONSE', `${url} returned no instances.`);
  return out;
}
