/**
 * The DICOM listener: C-ECHO and C-STORE SCP (dcmjs-dimse) on our own `net.Server`, because the
 * library's `Server.listen(port)` binds every interface and we bind loopback unless told otherwise.
 * Associations are checked before anything is accepted: the called AE title must be ours and the
 * calling AE title + peer address must be on the allow-list (else A-ASSOCIATE-RJ, permanent,
 * service user, with reason "called AE not recognised" / "calling AE not recognised").
 * Instances are written to the inbox as received — meta header + the peer's dataset bytes — under
 * `<inbox>/<Study UID>/<Series UID>/<SOP Instance UID>.dcm`, then recorded.
 */
import { EventEmitter } from 'node:events';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { decodableTransferSyntaxes } from '../imaging/dicom/transferSyntax';
import { InspectorError, toErrorInfo, type ErrorInfo } from '../../shared/errors';
import { dimse, type Association, type CCancelRequest, type CEchoRequest, type CEchoResponse, type CFindRequest, type CFindResponse, type CGetRequest, type CMoveRequest, type DimseRequest, type CStoreRequest, type CStoreResponse as DimseResponse, type Dataset as DimseDataset } from './dimse';
import { PATIENT_ROOT_FIND, STUDY_ROOT_FIND } from './findScp';
import { writeInstance } from './inbox';
import { fileMetaHeader } from './p10';
import { RawStoreCapture } from './rawStore';
import { answerGet, answerMove, RETRIEVE_SOP_CLASSES, type RetrieveOutcome, type RetrieveService } from './retrieveScp';
import type { ReceivedInstance } from './records';
import { serverOptions, type TlsMaterial } from './tls';

const { Scp, Dataset } = dimse;
const { CEchoResponse, CFindResponse, CStoreResponse } = dimse.responses;
const { Status, PresentationContextResult, RejectResult, RejectSource, RejectReason, SopClass } = dimse.constants;


export interface AllowEntry {
  aet: string;
  host?: string | undefined;
  /** Only for C-MOVE destinations (retrieveScp.ts): where that AE listens. */
  port?: number | undefined;
  /** A C-MOVE destination reached over DICOM TLS. */
  tls?: boolean | undefined;
}

export interface ListenerOptions {
  aeTitle: string;
  port: number;
  bind: string;
  allow: AllowEntry[];
  inbox: string;
  /** Called once per stored instance, before the C-STORE response goes out; a throw fails the store. */
  onStored?: (r: ReceivedInstance) => void;
  /** DICOM TLS: with it, only TLS connections are accepted (see tls.ts). */
  tls?: TlsMaterial | undefined;
  /**
   * C-FIND SCP: answers a query (naturalized identifier) with the matching identifiers; a throw
   * answers with a failure status. Without it, query contexts are refused as before.
   */
  onFind?: (query: Record<string, unknown>) => Record<string, unknown>[];
  /** C-MOVE / C-GET SCP (retrieveScp.ts); without it, retrieve contexts are refused. */
  onRetrieve?: RetrieveService;
  /** Seconds an association may sit idle before it is dropped. */
  idleSeconds?: number;
}

export interface Rejection {
  callingAet: string;
  calledAet: string;
  host: string;
  reason: 'called-ae-not-recognized' | 'calling-ae-not-recognized' | 'tls-required' | 'tls-handshake-failed';
  /** For TLS refusals: what the handshake said (e.g. no certificate, unknown CA, not TLS at all). */
  detail?: string;
}

/** Storage SOP classes live under 1.2.840.10008.5.1.4.1.1 (PS3.4 Annex B); also accepted: private ones from modalities. */
function isStorage(uid: string): boolean {
  return uid.startsWith('1.2.840.10008.5.1.4.1.1.') || !uid.startsWith('1.2.840.10008.');
}

const DECODABLE = new Set(decodableTransferSyntaxes().map((t) => t.uid));

export function normaliseHost(h: string | undefined): string {
  if (!h) return '';
  return h.startsWith('::ffff:') ? h.slice(7) : h;
}

export function allowed(allow: AllowEntry[], callingAet: string, host: string): boolean {
  return allow.some((a) => a.aet.trim() === callingAet.trim() && (a.host === undefined || normaliseHost(a.host) === host));
}

export class DicomListener extends EventEmitter {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  stored = 0;
  storedBytes = 0;

  constructor(readonly opts: ListenerOptions) {
    super();
  }

  get aeTitle(): string {
    return this.opts.aeTitle;
  }

  /** Resolves with the bound port (useful with port 0). */
  async start(): Promise<number> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the library instantiates the SCP class; it reaches the node through this closure
    const node = this;
    const raw = new RawStoreCapture();

    class InspectorScp extends Scp {
      private association: Association | undefined;
      private readonly peer: string;
      constructor(socket: net.Socket) {
        super(socket, { associationTimeout: (node.opts.idleSeconds ?? 60) * 1000, pduTimeout: (node.opts.idleSeconds ?? 60) * 1000 });
        this.peer = normaliseHost(socket.remoteAddress);
      }

      override associationRequested(association: Association): void {
        this.association = association;
        const calling = association.getCallingAeTitle().trim();
        const called = association.getCalledAeTitle().trim();
        let reason: Rejection['reason'] | null = null;
        if (called !== node.opts.aeTitle.trim()) reason = 'called-ae-not-recognized';
        else if (!allowed(node.opts.allow, calling, this.peer)) reason = 'calling-ae-not-recognized';
        if (reason) {
          node.emit('rejected', { callingAet: calling, calledAet: called, host: this.peer, reason } satisfies Rejection);
          this.sendAssociationReject(
            RejectResult.Permanent,
            RejectSource.ServiceUser,
            reason === 'called-ae-not-recognized' ? RejectReason.CalledAeNotRecognized : RejectReason.CallingAeNotRecognized,
          );
          return;
        }
        for (const c of association.getPresentationContexts()) {
          const ctx = association.getPresentationContext(c.id);
          const abstract = ctx.getAbstractSyntaxUid();
          const find = abstract === STUDY_ROOT_FIND || abstract === PATIENT_ROOT_FIND;
          if ((find && node.opts.onFind) || (RETRIEVE_SOP_CLASSES.has(abstract) && node.opts.onRetrieve)) {
            const ts = ctx.getTransferSyntaxUids().find((t) => t === '1.2.840.10008.1.2.1' || t === '1.2.840.10008.1.2');
            if (ts) ctx.setResult(PresentationContextResult.Accept, ts);
            else ctx.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
            continue;
          }
          if (abstract !== SopClass.Verification && !isStorage(abstract)) {
            ctx.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
            continue;
          }
          // The proposer's order is its preference; take the first one we can also decode.
          const ts = ctx.getTransferSyntaxUids().find((t) => abstract === SopClass.Verification || DECODABLE.has(t));
          if (ts) ctx.setResult(PresentationContextResult.Accept, ts);
          else ctx.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
        }
        this.sendAssociationAccept();
      }

      override associationReleaseRequested(): void {
        this.sendAssociationReleaseResponse();
      }

      override cEchoRequest(request: CEchoRequest, callback: (r: CEchoResponse) => void): void {
        const response = CEchoResponse.fromRequest(request);
        response.setStatus(Status.Success);
        callback(response);
      }

      /** Running C-FIND / C-MOVE / C-GET requests by message id, for the peer's C-CANCEL. */
      private readonly running = new Map<number, AbortController>();

      private track(request: DimseRequest): AbortSignal {
        const ctl = new AbortController();
        this.running.set(request.getMessageId(), ctl);
        return ctl.signal;
      }

      override cCancelRequest(request: CCancelRequest): void {
        // A cancel for a request already answered (or never made) is ignored (PS3.7 §9.3.2.3).
        this.running.get(request.getMessageIdBeingRespondedTo())?.abort();
      }

      // The matches go out one by one, with a turn of the event loop between them, so that a
      // C-CANCEL the peer sends after the first ones is read and stops the rest (final: Cancel).
      override cFindRequest(request: CFindRequest, callback: (r: CFindResponse[]) => void): void {
        const final = CFindResponse.fromRequest(request);
        const calling = this.association?.getCallingAeTitle().trim() ?? '';
        try {
          const query = (request.getDataset() as DimseDataset | undefined)?.getElements() ?? {};
          const rows = node.opts.onFind!(query as Record<string, unknown>);
          const signal = this.track(request);
          void (async () => {
            let sent = 0;
            for (const row of rows) {
              if (signal.aborted) break;
              const r = CFindResponse.fromRequest(request);
              r.setDataset(new Dataset(row));
              r.setStatus(Status.Pending);
              this.sendResponse(request, r);
              sent++;
              await new Promise((next) => setImmediate(next));
            }
            this.running.delete(request.getMessageId());
            const cancelled = signal.aborted && sent < rows.length;
            final.setStatus(cancelled ? Status.Cancel : Status.Success);
            this.sendResponse(request, final);
            node.emit('found', { callingAet: calling, level: query['QueryRetrieveLevel'], matches: rows.length, sent, ...(cancelled ? { cancelled: true } : {}) });
          })();
        } catch (e) {
          const info = toErrorInfo(e, 'DICOM_FIND_FAILED');
          node.emit('findFailed', { ...info, callingAet: calling });
          // 0xC000 "unable to process" (PS3.4 C.4.1.1.4): the peer sees a failure, never an empty success.
          final.setStatus(0xc000);
          final.setErrorComment?.(info.message.slice(0, 64));
          callback([final]);
        }
      }

      // The library's callback may be called once only (its event emitter), so the pending
      // responses that come while sub-operations run go out through sendResponse instead.
      override cMoveRequest(request: CMoveRequest): void {
        this.retrieve(request, answerMove(request, (rs) => rs.forEach((r) => this.sendResponse(request, r)), node.opts.onRetrieve!, this.calling(), this.track(request)));
      }

      override cGetRequest(request: CGetRequest): void {
        const scp = { association: this.association!, sendRequests: (r: DimseRequest[]) => this.sendRequests(r) };
        this.retrieve(request, answerGet(request, (rs) => rs.forEach((r) => this.sendResponse(request, r)), scp, node.opts.onRetrieve!, this.calling(), this.track(request)));
      }

      private calling(): string {
        return this.association?.getCallingAeTitle().trim() ?? '';
      }

      private retrieve(request: DimseRequest, run: Promise<RetrieveOutcome>): void {
        const done = () => this.running.delete(request.getMessageId());
        run.then(
          (o) => {
            done();
            node.emit('retrieved', o);
          },
          (e: unknown) => {
            done();
            node.emit('retrieveFailed', { ...toErrorInfo(e, 'DICOM_RETRIEVE_FAILED'), ...(e as { outcome?: RetrieveOutcome }).outcome });
          },
        );
      }

      // Keep the bytes as sent (rawStore.ts); the library only needs some Dataset object to pass along.
      override createStoreWritableStream(): ReturnType<RawStoreCapture['createStoreWritableStream']> {
        return raw.createStoreWritableStream();
      }

      override createDatasetFromStoreWritableStream(...args: Parameters<RawStoreCapture['createDatasetFromStoreWritableStream']>): void {
        raw.createDatasetFromStoreWritableStream(...args);
      }

      override cStoreRequest(request: CStoreRequest, callback: (r: DimseResponse) => void): void {
        const got = raw.take(request.getDataset());
        const response = CStoreResponse.fromRequest(request);
        const calling = this.association?.getCallingAeTitle().trim() ?? '';
        if (!got) {
          response.setStatus(Status.ProcessingFailure);
          callback(response);
          return;
        }
        node
          .store(got.bytes, {
            sopClassUid: request.getAffectedSopClassUid() || got.sopClass,
            sopInstanceUid: request.getAffectedSopInstanceUid(),
            transferSyntaxUid: got.ts,
            callingAet: calling,
            peerHost: this.peer,
          })
          .then(
            () => response.setStatus(Status.Success),
            (e: unknown) => {
              const info = toErrorInfo(e, 'DICOM_STORE_FAILED');
              node.emit('storeFailed', { ...info, sopInstanceUid: request.getAffectedSopInstanceUid(), callingAet: calling } satisfies ErrorInfo & { sopInstanceUid: string; callingAet: string });
              // 0xA700 out of resources for disk trouble, 0xC000 "cannot understand" for bad data (PS3.4 B.2.3).
              response.setStatus(info.code === 'DICOM_STORE_FAILED' ? 0xa700 : 0xc000);
            },
          )
          .finally(() => callback(response));
      }

      override abort(): void {
        /* the peer aborted; nothing half-written is kept (files are renamed into place only when complete) */
      }
    }

    const serve = (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      const scp = new InspectorScp(socket);
      scp.on('networkError', (e: Error) => {
        socket.destroy();
        this.emit('networkError', e);
      });
    };
    if (this.opts.tls) {
      const secure = tls.createServer(serverOptions(this.opts.tls), serve);
      // A peer that speaks plain DICOM (or brings no / a foreign certificate) never gets an
      // association: the handshake fails before any PDU is read.
      secure.on('tlsClientError', (e: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
        const plain = /wrong version number|http request|unknown protocol|packet length too long/i.test(e.message);
        this.emit('rejected', {
          callingAet: '',
          calledAet: this.opts.aeTitle,
          host: normaliseHost(socket.remoteAddress),
          reason: plain ? 'tls-required' : 'tls-handshake-failed',
          detail: e.code ?? e.message,
        } satisfies Rejection);
        socket.destroy();
      });
      this.server = secure;
    } else {
      this.server = net.createServer(serve);
    }
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          new InspectorError(
            e.code === 'EADDRINUSE' ? 'DICOM_PORT_IN_USE' : 'DICOM_LISTEN_FAILED',
            e.code === 'EADDRINUSE' ? `Port ${this.opts.port} on ${this.opts.bind} is already in use.` : `Cannot listen on ${this.opts.bind}:${this.opts.port}: ${e.message}`,
            { port: this.opts.port, bind: this.opts.bind },
          ),
        ),
      );
      server.listen(this.opts.port, this.opts.bind, () => resolve());
    });
    return (server.address() as net.AddressInfo).port;
  }

  /** Writes one instance to the inbox and records it; a failed record removes the file again (the sender keeps it and may retry). */
  async store(dataset: Buffer, m: { sopClassUid: string; sopInstanceUid: string; transferSyntaxUid: string; callingAet: string; peerHost: string }): Promise<ReceivedInstance> {
    const p10 = Buffer.concat([fileMetaHeader({ sopClassUid: m.sopClassUid, sopInstanceUid: m.sopInstanceUid, transferSyntaxUid: m.transferSyntaxUid, sourceAeTitle: m.callingAet }), dataset]);
    const rec = await writeInstance(this.opts.inbox, p10, { callingAet: m.callingAet, peerHost: m.peerHost, expectSopInstanceUid: m.sopInstanceUid, sopClassUid: m.sopClassUid });
    try {
      this.opts.onStored?.(rec);
    } catch (e) {
      await rm(rec.path, { force: true });
      throw e;
    }
    this.stored++;
    this.storedBytes += p10.length;
    this.emit('stored', rec);
    return rec;
  }

  /**
   * Puts a renewed certificate/key/CA into service (tlsReload.ts): TLS sessions started from now
   * on use it; those already up keep theirs. Throws when the listener is not a TLS one.
   */
  setTls(m: TlsMaterial): void {
    if (!(this.server instanceof tls.Server)) throw new InspectorError('DICOM_TLS_NOT_CONFIGURED', 'The listener was not started with TLS: there is no certificate to replace.');
    this.server.setSecureContext(serverOptions(m));
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    for (const sock of this.sockets) sock.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
