/**
 * Sending objects to a PACS: C-STORE over one association (dcmjs-dimse SCU), or STOW-RS
 * (PS3.18 §10.5, multipart/related; type="application/dicom") with plain fetch. Every way it can go
 * wrong ends in a coded `InspectorError` per file — rejected association (with the peer's reason),
 * unreachable peer, timeout, a refused status — so the outbox can keep the file and try later.
 */
import { readFile } from 'node:fs/promises';
import { InspectorError, toErrorInfo, type ErrorInfo } from '../../shared/errors';
import type { DimsePeer } from './config';
import { clientOptions, type TlsMaterial } from './tls';
import { dimse, type CEchoResponse, type CStoreRequest as StoreRequest, type CStoreResponse, type Client as DimseClient, type Dataset as DimseDataset, type DimseRequest } from './dimse';

const { Client, Dataset } = dimse;
const { CStoreRequest, CEchoRequest } = dimse.requests;
const { Status, RejectReason, RejectSource } = dimse.constants;

export interface SendOutcome {
  path: string;
  ok: boolean;
  error?: ErrorInfo;
}

const REJECT_REASONS: Record<number, string> = {
  [RejectReason.NoReasonGiven]: 'no reason given',
  [RejectReason.ApplicationContextNotSupported]: 'application context not supported',
  [RejectReason.CallingAeNotRecognized]: 'calling AE title not recognised',
  [RejectReason.CalledAeNotRecognized]: 'called AE title not recognised',
  [RejectReason.ProtocolVersionNotSupported]: 'protocol version not supported',
  [RejectReason.TemporaryCongestion]: 'temporary congestion',
  [RejectReason.LocalLimitExceeded]: 'local limit exceeded',
};

/** Turns a socket/library error into our code: unreachable, timed out, or a plain network failure. */
export function networkError(e: unknown, to: string): InspectorError {
  const err = e as NodeJS.ErrnoException;
  const msg = err?.message ?? String(e);
  // A failed handshake: a certificate not from our CA, a wrong host name, a peer that speaks no TLS.
  if (/^ERR_(TLS|SSL)_|^(UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|CERT_|ERR_TLS_CERT)/.test(err?.code ?? '') || /certificate|handshake|\bSSL\b|\bTLS\b|wrong version number|alert/i.test(msg)) {
    return new InspectorError('DICOM_TLS_FAILED', `TLS with ${to} failed: ${msg}`, { to, ...(err?.code ? { reason: err.code } : {}) });
  }
  // The library re-wraps socket errors, keeping only the message: look for the errno name there too.
  const errno = err?.code ?? /\b(ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|ECONNRESET)\b/.exec(msg)?.[1];
  if (errno && errno !== 'ECONNRESET') return new InspectorError('DICOM_PEER_UNREACHABLE', `${to} does not answer (${errno}).`, { to, errno });
  if (/timeout/i.test(msg) || err?.code === 'ETIMEDOUT') return new InspectorError('DICOM_TIMEOUT', `${to} timed out: ${msg}`, { to });
  return new InspectorError('DICOM_NETWORK_ERROR', `Network error talking to ${to}: ${msg}`, { to });
}

export interface AssociationOptions {
  callingAet: string;
  timeoutSeconds: number;
  /** The node's TLS material; used for destinations marked `tls: true`. */
  tls?: TlsMaterial | undefined;
  /**
   * Cancels the exchange (Ctrl-C in the CLI, C-CANCEL from our own requester): running C-FIND /
   * C-MOVE / C-GET requests get a C-CANCEL-RQ and the peer's Cancel (0xFE00) final response ends
   * them; requests not yet sent are dropped. A peer that does not end the request within the
   * timeout is aborted (DICOM_CANCELLED). What already arrived is kept by the callers.
   */
  signal?: AbortSignal | undefined;
}

export function cancelledError(to: string, details?: Record<string, unknown>): InspectorError {
  return new InspectorError('DICOM_CANCELLED', `The exchange with ${to} was cancelled; what arrived before is kept.`, { to, ...details });
}

const { CFindRequest: FindRq, CMoveRequest: MoveRq, CGetRequest: GetRq } = dimse.requests;
const cancellable = (r: DimseRequest) => r instanceof FindRq || r instanceof MoveRq || r instanceof GetRq;

/**
 * Cancel as PS3.7 §9.3.2.3 / C.4.2.3 have it, through the library's `Client.cancel` (it writes
 * the C-CANCEL-RQ). The library has no call to drop requests it has queued but not sent, so the
 * queue of its network layer is emptied here (its `requests` array, read by `_sendNextRequests`);
 * the request in flight still gets its response, then the library releases the association.
 */
function cancelExchange(client: DimseClient, requests: DimseRequest[], finished: Set<DimseRequest>, accepted: boolean): void {
  client.clearRequests();
  const queue = (client as unknown as { network?: { requests?: unknown[] } }).network?.requests;
  if (Array.isArray(queue)) queue.length = 0;
  if (!accepted) return;
  for (const r of requests) {
    if (!cancellable(r) || finished.has(r)) continue;
    try {
      client.cancel(r as never);
    } catch {
      /* the network is gone already: nothing to cancel */
    }
  }
}

function rejected(ev: { result: number; source: number; reason: number }, to: string): InspectorError {
  const reason = ev.source === RejectSource.ServiceUser ? (REJECT_REASONS[ev.reason] ?? `reason ${ev.reason}`) : `source ${ev.source}, reason ${ev.reason}`;
  return new InspectorError('DICOM_ASSOCIATION_REJECTED', `${to} rejected the association: ${reason}.`, { to, ...ev, transient: ev.result === 2 });
}

/**
 * Runs requests over one association and settles when it closes. `onReject`/`onError` failures
 * apply to every request that did not get a response.
 */
export function runAssociation<R extends DimseRequest>(
  dest: DimsePeer,
  requests: R[],
  opts: AssociationOptions,
  extra?: (client: DimseClient) => void,
  /** Runs right after the connection is started, before any PDU: the client's network layer exists now (see cget.ts). */
  onSent?: (client: DimseClient) => void,
): Promise<{ failure: InspectorError | null }> {
  const to = `${dest.aet}@${dest.host}:${dest.port}`;
  return new Promise((resolve) => {
    const client = new Client();
    for (const r of requests) client.addRequest(r);
    extra?.(client);
    let failure: InspectorError | null = null;
    let settled = false;
    const ms = opts.timeoutSeconds * 1000;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ failure });
    };
    // The library's own timers check once a second; this one bounds the whole exchange.
    const timer = setTimeout(() => {
      failure ??= new InspectorError('DICOM_TIMEOUT', `${to} did not finish within ${opts.timeoutSeconds} s.`, { to });
      try {
        client.abort();
      } catch {
        /* no association yet */
      }
      finish();
    }, ms * 2);
    client.on('associationRejected', (ev: { result: number; source: number; reason: number }) => {
      failure = rejected(ev, to);
    });
    client.on('networkError', (e: unknown) => {
      failure ??= networkError(e, to);
      finish();
    });
    client.on('closed', finish);
    // Cancelling: see cancelExchange. Before the association is accepted there is nothing to
    // cancel, so the association is aborted as soon as it is (nothing was asked yet).
    const finished = new Set<DimseRequest>();
    for (const r of requests) r.on('done', () => finished.add(r));
    let accepted = false;
    const signal = opts.signal;
    const onCancel = () => {
      cancelExchange(client, requests, finished, accepted);
      const grace = setTimeout(() => {
        failure ??= cancelledError(to, { reason: 'the peer did not end the cancelled request in time; association aborted' });
        try {
          client.abort();
        } catch {
          /* no association */
        }
        finish();
      }, ms);
      client.on('closed', () => clearTimeout(grace));
    };
    client.on('associationAccepted', () => {
      accepted = true;
      if (signal?.aborted) {
        failure ??= cancelledError(to);
        client.clearRequests();
        client.abort();
      }
    });
    if (signal?.aborted) {
      failure = cancelledError(to);
      finish();
      return;
    }
    signal?.addEventListener('abort', onCancel, { once: true });
    client.on('closed', () => signal?.removeEventListener('abort', onCancel));
    if (dest.tls && !opts.tls) {
      failure = new InspectorError('DICOM_TLS_NOT_CONFIGURED', `${to} is to be reached over TLS, but no tls certificate is configured (dicom.yaml tls: cert, key, ca).`, { to });
      finish();
      return;
    }
    try {
      client.send(dest.host, dest.port, opts.callingAet, dest.aet, {
        connectTimeout: ms,
        associationTimeout: ms,
        pduTimeout: ms,
        ...(dest.tls && opts.tls ? { securityOptions: clientOptions(opts.tls) } : {}),
      });
      onSent?.(client);
    } catch (e) {
      failure = networkError(e, to);
      finish();
    }
  });
}

export async function echo(dest: DimsePeer, opts: AssociationOptions): Promise<void> {
  const req = new CEchoRequest();
  let status: number | null = null;
  req.on('response', (r: CEchoResponse) => (status = r.getStatus()));
  const { failure } = await runAssociation(dest, [req], opts);
  if (failure) throw failure;
  if (status !== Status.Success) throw new InspectorError('DICOM_ECHO_FAILED', `C-ECHO to ${dest.aet}@${dest.host}:${dest.port} returned status ${status ?? 'none'}.`);
}

/** A Part 10 file as the library's Dataset (read now, not lazily inside its socket handlers, where a throw would be uncaught). */
export async function readDataset(path: string): Promise<DimseDataset> {
  const ds = await new Promise<DimseDataset>((resolve, reject) => Dataset.fromFile(path, (err, d) => (err || !d ? reject(err ?? new Error('empty file')) : resolve(d))));
  if (!ds.getTransferSyntaxUid()) throw new Error('no transfer syntax in the file meta information');
  return ds;
}

/** C-STORE of Part 10 files over one association; one outcome per file, in order. `onStatus` hears each C-STORE response as it comes. */
export async function storeFiles(dest: DimsePeer, paths: string[], opts: AssociationOptions, onStatus?: (index: number, status: number) => void): Promise<SendOutcome[]> {
  const to = `${dest.aet}@${dest.host}:${dest.port}`;
  const outcomes: SendOutcome[] = [];
  const requests: StoreRequest[] = [];
  const statuses = new Map<number, number>();
  for (const [i, path] of paths.entries()) {
    try {
      const req = new CStoreRequest(await readDataset(path));
      req.on('response', (r: CStoreResponse) => {
        statuses.set(i, r.getStatus());
        onStatus?.(i, r.getStatus());
      });
      requests.push(req);
      outcomes.push({ path, ok: false });
    } catch (e) {
      outcomes.push({ path, ok: false, error: { code: 'DICOM_OBJECT_UNREADABLE', message: `${path}: ${toErrorInfo(e).message}` } });
    }
  }
  const ready = outcomes.map((o, i) => (o.error ? -1 : i)).filter((i) => i >= 0);
  if (requests.length === 0) return outcomes;
  const { failure } = await runAssociation(dest, requests, opts);
  ready.forEach((i) => {
    const o = outcomes[i]!;
    const s = statuses.get(i);
    if (s === Status.Success || (s !== undefined && (s & 0xf000) === 0xb000)) o.ok = true; // 0xBxxx = warning, stored
    else if (s !== undefined) o.error = { code: 'DICOM_STORE_REFUSED', message: `${to} refused ${o.path} with status 0x${s.toString(16).padStart(4, '0')}.`, details: { status: s } };
    else if (failure) o.error = failure.toInfo();
    else o.error = { code: 'DICOM_STORE_NOT_ACCEPTED', message: `${to} accepted no presentation context for ${o.path}.` };
  });
  return outcomes;
}

/** STOW-RS to `<url>/studies`; the response's Failed SOP Sequence (0008,1198) names what was refused. */
export async function stowFiles(url: string, paths: string[], timeoutSeconds: number): Promise<SendOutcome[]> {
  const boundary = `inspector-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  const parts: Buffer[] = [];
  for (const p of paths) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), await readFile(p), Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  const endpoint = `${url.replace(/\/+$/, '')}/studies`;
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`, Accept: 'application/dicom+json' },
      body: Buffer.concat(parts),
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    });
  } catch (e) {
    const err = e as Error & { cause?: NodeJS.ErrnoException };
    const failure = err.name === 'TimeoutError' ? new InspectorError('DICOM_TIMEOUT', `${endpoint} timed out.`) : networkError(err.cause ?? err, endpoint);
    return paths.map((path) => ({ path, ok: false, error: failure.toInfo() }));
  }
  const body = await res.text();
  if (!res.ok) {
    const error = { code: 'DICOMWEB_STOW_FAILED', message: `${endpoint} answered HTTP ${res.status}: ${body.slice(0, 200)}`, details: { status: res.status } };
    return paths.map((path) => ({ path, ok: false, error }));
  }
  let failed = 0;
  try {
    const json = JSON.parse(body) as Record<string, { Value?: unknown[] }>;
    failed = json['00081198']?.Value?.length ?? 0;
  } catch {
    /* a 200 without JSON: nothing says anything failed */
  }
  if (failed > 0) {
    const error = { code: 'DICOMWEB_STOW_FAILED', message: `${endpoint} refused ${failed} of ${paths.length} instances (Failed SOP Sequence).` };
    return paths.map((path) => ({ path, ok: false, error }));
  }
  return paths.map((path) => ({ path, ok: true }));
}
