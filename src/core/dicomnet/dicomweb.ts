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

/** The caller's cancel (DICOM_CANCELLED, like a C-CANCEL on the DIMSE side), else the timeout, else unreachable. */
function fetchError(e: unknown, url: string, cancel: AbortSignal | undefined, details: Record<string, unknown> = {}): InspectorError {
  if (e instanceof InspectorError) return e;
  const err = e as Error & { cause?: Error };
  if (cancel?.aborted) return new InspectorError('DICOM_CANCELLED', `The retrieve from ${url} was cancelled; what arrived before is kept.`, { to: url, ...details });
  if (err.name === 'TimeoutError') return new InspectorError('DICOM_TIMEOUT', `${url} timed out.`, { url, ...details });
  return new InspectorError('DICOM_PEER_UNREACHABLE', `${url} does not answer: ${err.cause?.message ?? err.message}`, { url, ...details });
}

async function get(url: string, accept: string, timeoutSeconds: number, cancel?: AbortSignal): Promise<Response> {
  const timeout = AbortSignal.timeout(timeoutSeconds * 1000);
  let res: Response;
  try {
    res = await fetch(url, { headers: { Accept: accept }, signal: cancel ? AbortSignal.any([timeout, cancel]) : timeout });
  } catch (e) {
    throw fetchError(e, url, cancel);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new InspectorError('DICOMWEB_REQUEST_FAILED', `${url} answered HTTP ${res.status}.`, { url, status: res.status });
  }
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

function boundaryOf(contentType: string): string {
  const m = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!m) throw new InspectorError('DICOMWEB_BAD_RESPONSE', `No multipart boundary in "${contentType}".`);
  return m[1]!;
}

/**
 * A multipart/related body split as it streams in: `push` a chunk, get the parts it completed.
 * A part is handed out only once the next delimiter has arrived, so one cut off by a cancel or a
 * dropped connection is never seen (the WADO-RS inbox never gets a truncated instance); `closed`
 * says whether the closing delimiter came.
 */
export class MultipartSplitter {
  private readonly delimiter: Buffer;
  private buf = Buffer.alloc(0);
  private len = 0;
  /** Start of the unconsumed bytes in `buf`. */
  private head = 0;
  /** Where the search for the next delimiter resumes (nothing before it can start one). */
  private scanFrom = 0;
  private opened = false;
  closed = false;

  constructor(contentType: string) {
    this.delimiter = Buffer.from(`--${boundaryOf(contentType)}`);
  }

  push(chunk: Uint8Array): Buffer[] {
    if (this.closed) return [];
    this.append(chunk);
    const parts: Buffer[] = [];
    for (;;) {
      const at = this.buf.subarray(0, this.len).indexOf(this.delimiter, this.scanFrom);
      if (at < 0) {
        this.scanFrom = Math.max(this.head, this.len - this.delimiter.length + 1);
        break;
      }
      const after = at + this.delimiter.length;
      if (this.len < after + 2) break; // is it the closing one? not known yet
      if (this.opened) {
        const content = this.content(this.buf.subarray(this.head, at));
        if (content) parts.push(content);
      }
      // The preamble before the first delimiter is ignored, as RFC 2046 says.
      this.opened = true;
      this.head = after;
      this.scanFrom = after;
      if (this.buf.subarray(after, after + 2).toString('latin1') === '--') {
        this.closed = true;
        break;
      }
    }
    return parts;
  }

  /** Bytes received after the last complete part that no closing delimiter ended (a cut-off part). */
  get pending(): number {
    return this.closed ? 0 : this.len - this.head;
  }

  private content(part: Buffer): Buffer | null {
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) return null;
    let content = part.subarray(headerEnd + 4);
    if (content.subarray(content.length - 2).toString('latin1') === '\r\n') content = content.subarray(0, content.length - 2);
    return Buffer.from(content);
  }

  private append(chunk: Uint8Array): void {
    // Drop what is consumed, then grow by doubling: a large part arriving in many chunks is copied O(n) times, not O(n²).
    if (this.head > 0 && this.head >= this.len / 2) {
      this.buf.copy(this.buf, 0, this.head, this.len);
      this.len -= this.head;
      this.scanFrom -= this.head;
      this.head = 0;
    }
    if (this.len + chunk.length > this.buf.length) {
      const grown = Buffer.alloc(Math.max(this.buf.length * 2, this.len + chunk.length, 64 * 1024));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
  }
}

/** Splits a whole multipart/related body into its parts' bodies. */
export function multipartParts(body: Buffer, contentType: string): Buffer[] {
  return new MultipartSplitter(contentType).push(body);
}

export interface WadoOptions {
  timeoutSeconds?: number;
  /**
   * Cancels the retrieve (the worklist's Cancel): the download is aborted, the instances stored
   * so far are kept (each already `record`ed), a part still arriving is dropped, and the call
   * fails DICOM_CANCELLED with `arrived`, as a cancelled C-GET does.
   */
  signal?: AbortSignal | undefined;
}

/**
 * WADO-RS: every instance of a study into the inbox, each written and `record`ed as soon as its
 * part has fully arrived (the response is parsed as it streams, not after the whole study).
 * The last argument is the timeout in seconds (older callers) or the options.
 */
export async function wadoStudy(base: string, studyUid: string, inbox: string, record: (r: ReceivedInstance) => void, options: number | WadoOptions = 60): Promise<ReceivedInstance[]> {
  const { timeoutSeconds = 60, signal } = typeof options === 'number' ? { timeoutSeconds: options } : options;
  const url = endpoint(base, `/studies/${studyUid}`);
  const res = await get(url, 'multipart/related; type="application/dicom"; transfer-syntax=*', timeoutSeconds, signal);
  const host = new URL(base).hostname;
  const out: ReceivedInstance[] = [];
  const cancelled = () => fetchError(new Error('cancelled'), url, signal, { arrived: out.length, expected: null });
  let splitter: MultipartSplitter;
  try {
    splitter = new MultipartSplitter(res.headers.get('content-type') ?? '');
  } catch (e) {
    await res.body?.cancel().catch(() => undefined);
    throw e;
  }
  const reader = res.body?.getReader();
  // Complete parts are written (in order) while the next bytes arrive: the download never waits on
  // the disk. Every exit first lets the writes in flight finish, so `arrived` counts what is stored.
  let writes: Promise<void> = Promise.resolve();
  let queued = 0;
  let writeFailed: { error: unknown } | undefined;
  const settled = async () => {
    await writes;
    if (writeFailed) throw writeFailed.error;
  };
  try {
    while (reader) {
      if (signal?.aborted) throw cancelled();
      if (writeFailed) break;
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (e) {
        await settled();
        const err = e as Error & { cause?: Error };
        if (signal?.aborted || err.name === 'TimeoutError') throw fetchError(e, url, signal, { arrived: out.length, expected: null });
        throw new InspectorError('DICOM_NETWORK_ERROR', `The download from ${url} broke off (${err.cause?.message ?? err.message}); the ${out.length} instance(s) that came whole are kept.`, { url, arrived: out.length });
      }
      if (chunk.done) break;
      for (const p of splitter.push(chunk.value)) {
        queued++;
        writes = writes.then(async () => {
          // Checked between instances too: parts already buffered are not stored once cancelled.
          if (writeFailed || signal?.aborted) return;
          try {
            const rec = await writeInstance(inbox, p, { callingAet: 'DICOMWEB', peerHost: host });
            record(rec);
            out.push(rec);
          } catch (e) {
            writeFailed = { error: e };
          }
        });
      }
      if (splitter.closed) break;
    }
    await settled();
    // Cancelled after the last byte came but before every part was stored: not a whole study.
    if (out.length < queued) throw cancelled();
  } catch (e) {
    await writes;
    // A cancel's count is taken once the writes in flight are done.
    if (signal?.aborted && (e as InspectorError).code === 'DICOM_CANCELLED') throw cancelled();
    throw e;
  } finally {
    // Ends the download if we stopped early (cancel, bad part); a no-op once it is done.
    await reader?.cancel().catch(() => undefined);
  }
  // A cancel that lands after the closing delimiter came is too late to matter: the study is whole.
  if (!splitter.closed && signal?.aborted) throw cancelled();
  if (!splitter.closed && (splitter.pending > 0 || out.length > 0)) {
    throw new InspectorError('DICOMWEB_BAD_RESPONSE', `${url} ended in the middle of the study (no closing multipart delimiter); the ${out.length} instance(s) that came whole are kept.`, { url, arrived: out.length });
  }
  if (out.length === 0) throw new InspectorError('DICOMWEB_BAD_RESPONSE', `${url} returned no instances.`);
  return out;
}
