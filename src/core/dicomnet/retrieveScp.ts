/**
 * C-MOVE and C-GET SCP (Study Root and Patient Root; STUDY, SERIES and IMAGE level): a peer
 * retrieves what Inspector's inbox holds (PS3.4 C.4.2, C.4.3). Off unless `answer_retrieve: true`;
 * only allow-listed peers get an association at all (listener.ts), and C-MOVE sends only to a
 * destination AE that is on the allow-list with its host and port — the address comes from our
 * config, never from the request, so a peer cannot make us send patient data anywhere else.
 *
 * Instances go as held: a C-GET sub-operation is sent only on a context the peer accepted in the
 * file's own transfer syntax (or between the two Little Endian syntaxes, which the library
 * re-encodes losslessly); a compressed instance the peer did not accept compressed counts as a
 * failed sub-operation instead of being transcoded. C-MOVE proposes each file's own syntax.
 *
 * Refusals are coded (the code leads the response's Error Comment, and the node logs it):
 * DICOM_MOVE_DESTINATION_UNKNOWN (0xA801), DICOM_RETRIEVE_NO_MATCH and
 * DICOM_RETRIEVE_BAD_IDENTIFIER (0xC000, unable to process). Every response carries the
 * remaining / completed / failed / warning sub-operation counts.
 *
 * A C-CANCEL from the requester (the listener turns it into `signal`) stops the sub-operations:
 * the one in flight finishes, no further one starts, and the final response is Cancel (0xFE00)
 * with the counts so far and the remaining ones (PS3.4 C.4.2.1.6 allows them in a Cancel).
 */
import type Database from 'better-sqlite3';
import { InspectorError, toErrorInfo } from '../../shared/errors';
import type { DimsePeer } from './config';
import type { AllowEntry } from './listener';
import { dimse, type Association, type CStoreResponse, type DimseRequest } from './dimse';
import { readDataset, storeFiles, type AssociationOptions } from './send';

const { CGetResponse, CMoveResponse } = dimse.responses;
const { CStoreRequest } = dimse.requests;
const { Status, PresentationContextResult, TransferSyntax } = dimse.constants;

export const STUDY_ROOT_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
export const STUDY_ROOT_GET = '1.2.840.10008.5.1.4.1.2.2.3';
export const PATIENT_ROOT_MOVE = '1.2.840.10008.5.1.4.1.2.1.2';
export const PATIENT_ROOT_GET = '1.2.840.10008.5.1.4.1.2.1.3';
export const RETRIEVE_SOP_CLASSES = new Set([STUDY_ROOT_MOVE, STUDY_ROOT_GET, PATIENT_ROOT_MOVE, PATIENT_ROOT_GET]);

export interface HeldInstance {
  path: string;
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntax: string;
}

const text = (v: unknown): string => (v === undefined || v === null ? '' : Array.isArray(v) ? v.map(text).join('\\') : String(v)).trim();
const uids = (v: unknown): string[] => text(v).split('\\').map((u) => u.trim()).filter(Boolean);

/**
 * The inbox instances a retrieve identifier names (PS3.4 C.4.2.2.1: unique keys only — the
 * level's own unique key is required, patient root may add PatientID). Nothing → DICOM_RETRIEVE_NO_MATCH.
 */
export function selectHeld(db: Database.Database, identifier: Record<string, unknown>): HeldInstance[] {
  const level = text(identifier['QueryRetrieveLevel']).toUpperCase();
  const keyOf: Record<string, [string, string]> = {
    PATIENT: ['PatientID', 'patient_id'],
    STUDY: ['StudyInstanceUID', 'study_instance_uid'],
    SERIES: ['SeriesInstanceUID', 'series_instance_uid'],
    IMAGE: ['SOPInstanceUID', 'sop_instance_uid'],
  };
  const own = keyOf[level];
  if (!own) throw new InspectorError('DICOM_RETRIEVE_BAD_IDENTIFIER', `Retrieve at level "${level || '(none)'}" is not supported; use PATIENT, STUDY, SERIES or IMAGE.`, { level });
  const where: string[] = [];
  const args: string[] = [];
  for (const [key, column] of Object.values(keyOf)) {
    const values = key === 'PatientID' ? (text(identifier[key]) ? [text(identifier[key])] : []) : uids(identifier[key]);
    if (key === own[0] && values.length === 0) throw new InspectorError('DICOM_RETRIEVE_BAD_IDENTIFIER', `A ${level}-level retrieve needs ${key}.`, { level });
    if (values.length === 0) continue;
    where.push(`${column} IN (${values.map(() => '?').join(',')})`);
    args.push(...values);
  }
  const rows = db
    .prepare(`SELECT path, sop_instance_uid AS sopInstanceUid, sop_class_uid AS sopClassUid, transfer_syntax AS transferSyntax FROM dicom_instances WHERE ${where.join(' AND ')} ORDER BY study_instance_uid, series_instance_uid, path`)
    .all(...args) as HeldInstance[];
  if (rows.length === 0) throw new InspectorError('DICOM_RETRIEVE_NO_MATCH', `Inspector holds nothing for this ${level}-level retrieve.`, { level });
  return rows;
}

/** A C-MOVE destination: an allow-list entry for that AE title with host and port, else DICOM_MOVE_DESTINATION_UNKNOWN. */
export function moveDestination(allow: AllowEntry[], aet: string): DimsePeer {
  const hit = allow.find((a) => a.aet.trim() === aet.trim() && a.host !== undefined && a.port !== undefined);
  if (!hit) throw new InspectorError('DICOM_MOVE_DESTINATION_UNKNOWN', `Move destination "${aet.trim()}" is not on the allow-list with a host and port.`, { destination: aet.trim() });
  return { aet: hit.aet, host: hit.host!, port: hit.port!, ...(hit.tls ? { tls: true } : {}) };
}

export interface RetrieveService {
  select(identifier: Record<string, unknown>): HeldInstance[];
  destination(aet: string): DimsePeer;
  /** Our side of the outgoing C-MOVE association. */
  association: AssociationOptions;
}

// A type, not an interface: node events are checked against an index signature (host IPC schema).
export type RetrieveOutcome = {
  kind: 'move' | 'get';
  callingAet: string;
  destination?: string;
  completed: number;
  failed: number;
  warnings: number;
  /** Ended by the requester's C-CANCEL, with this many sub-operations not done. */
  cancelled?: true;
  remaining?: number;
};

interface Counts {
  remaining: number;
  completed: number;
  failed: number;
  warnings: number;
}

export type RetrieveResponse = InstanceType<typeof CMoveResponse> | InstanceType<typeof CGetResponse>;

function respond(make: () => RetrieveResponse, status: number, c: Counts, comment?: string): RetrieveResponse {
  const r = make();
  r.setStatus(status);
  // Remaining goes in pending responses, and in a Cancel (PS3.4 C.4.2.1.6).
  if (status === Status.Pending || status === Status.Cancel) r.setRemaining(c.remaining);
  r.setCompleted(c.completed);
  r.setFailures(c.failed);
  r.setWarnings(c.warnings);
  if (comment) r.setErrorComment(comment.slice(0, 64));
  return r;
}

/** The final status from the counts: success, 0xB000 (some failed) or 0xA702 (none could be sent). */
function finalStatus(c: Counts): number {
  if (c.failed === 0 && c.warnings === 0) return Status.Success;
  return c.completed === 0 && c.warnings === 0 ? Status.OutOfResourcesSubOperations : 0xb000;
}

function refusal(e: unknown): { status: number; info: ReturnType<typeof toErrorInfo> } {
  const info = toErrorInfo(e, 'DICOM_RETRIEVE_FAILED');
  return { status: info.code === 'DICOM_MOVE_DESTINATION_UNKNOWN' ? Status.MoveDestinationUnknown : 0xc000, info };
}

const tally = (c: Counts, status: number | undefined) => {
  c.remaining--;
  if (status === Status.Success) c.completed++;
  else if (status !== undefined && (status & 0xf000) === 0xb000) c.warnings++;
  else c.failed++;
};

/** C-MOVE SCP: a new association to the allow-listed destination, one pending response per sub-operation. */
export async function answerMove(
  request: DimseRequest,
  send: (r: RetrieveResponse[]) => void,
  svc: RetrieveService,
  callingAet: string,
  signal?: AbortSignal,
): Promise<RetrieveOutcome> {
  const make = () => CMoveResponse.fromRequest(request as never);
  const destinationAet = text(request.getCommandDataset().getElement('MoveDestination'));
  const c: Counts = { remaining: 0, completed: 0, failed: 0, warnings: 0 };
  try {
    const dest = svc.destination(destinationAet);
    const held = svc.select(request.getDataset()?.getElements() ?? {});
    c.remaining = held.length;
    send([respond(make, Status.Pending, c)]);
    // Cancelled: storeFiles drops the C-STOREs not yet sent and releases the sub-association.
    const outcomes = await storeFiles(dest, held.map((h) => h.path), { ...svc.association, signal }, (_i, status) => {
      tally(c, status);
      if (c.remaining > 0 && !signal?.aborted) send([respond(make, Status.Pending, c)]);
    });
    const answered = c.completed + c.failed + c.warnings;
    if (signal?.aborted) {
      c.remaining = held.length - answered;
      send([respond(make, Status.Cancel, c)]);
      return { kind: 'move', callingAet, destination: destinationAet, completed: c.completed, failed: c.failed, warnings: c.warnings, cancelled: true, remaining: c.remaining };
    }
    // Files that got no response at all (unreadable, association refused): failed sub-operations.
    c.failed += held.length - answered;
    c.remaining = 0;
    const firstError = outcomes.find((o) => o.error)?.error;
    send([respond(make, finalStatus(c), c, firstError ? `${firstError.code}: ${firstError.message}` : undefined)]);
    return { kind: 'move', callingAet, destination: destinationAet, completed: c.completed, failed: c.failed, warnings: c.warnings };
  } catch (e) {
    const { status, info } = refusal(e);
    send([respond(make, status, c, `${info.code}: ${info.message}`)]);
    throw Object.assign(new InspectorError(info.code, info.message, info.details), { outcome: { kind: 'move', callingAet, destination: destinationAet, ...c } });
  }
}

const LITTLE_ENDIAN = new Set<string>([TransferSyntax.ImplicitVRLittleEndian, TransferSyntax.ExplicitVRLittleEndian]);

/** Whether the peer accepted a context for this instance in its own syntax (or Little Endian ↔ Little Endian). */
function canSendAsHeld(association: Association, h: HeldInstance): boolean {
  return association.getPresentationContexts().some(({ id }) => {
    const ctx = association.getPresentationContext(id);
    if (ctx.getAbstractSyntaxUid() !== h.sopClassUid || ctx.getResult() !== PresentationContextResult.Accept) return false;
    const ts = ctx.getAcceptedTransferSyntaxUid() ?? '';
    return ts === h.transferSyntax || (LITTLE_ENDIAN.has(ts) && LITTLE_ENDIAN.has(h.transferSyntax));
  });
}

/**
 * C-GET SCP: C-STORE sub-operations on the peer's own association (it accepted storage contexts
 * with the SCP role), one at a time, a pending response after each.
 */
export async function answerGet(
  request: DimseRequest,
  send: (r: RetrieveResponse[]) => void,
  scp: { association: Association; sendRequests(r: DimseRequest[]): void },
  svc: RetrieveService,
  callingAet: string,
  signal?: AbortSignal,
): Promise<RetrieveOutcome> {
  const make = () => CGetResponse.fromRequest(request as never);
  const c: Counts = { remaining: 0, completed: 0, failed: 0, warnings: 0 };
  let firstError: string | undefined;
  try {
    const held = svc.select(request.getDataset()?.getElements() ?? {});
    c.remaining = held.length;
    send([respond(make, Status.Pending, c)]);
    for (const h of held) {
      if (signal?.aborted) {
        send([respond(make, Status.Cancel, c)]);
        return { kind: 'get', callingAet, completed: c.completed, failed: c.failed, warnings: c.warnings, cancelled: true, remaining: c.remaining };
      }
      let status: number | undefined;
      try {
        if (!canSendAsHeld(scp.association, h)) throw new InspectorError('DICOM_GET_NO_CONTEXT', `${callingAet} accepted no context for ${h.sopClassUid} in ${h.transferSyntax}; Inspector does not transcode.`);
        const sub = new CStoreRequest(await readDataset(h.path));
        // 'done' follows the final response; it also comes (without one) when the library gives up on the request.
        status = await new Promise<number | undefined>((resolve) => {
          let got: number | undefined;
          sub.on('response', (r: CStoreResponse) => (got = r.getStatus()));
          sub.on('done', () => resolve(got));
          scp.sendRequests([sub]);
        });
      } catch (e) {
        firstError ??= `${toErrorInfo(e).code}: ${toErrorInfo(e).message}`;
      }
      tally(c, status);
      if (c.remaining > 0) send([respond(make, Status.Pending, c)]);
    }
    send([respond(make, finalStatus(c), c, firstError)]);
    return { kind: 'get', callingAet, completed: c.completed, failed: c.failed, warnings: c.warnings };
  } catch (e) {
    const { status, info } = refusal(e);
    send([respond(make, status, c, `${info.code}: ${info.message}`)]);
    throw Object.assign(new InspectorError(info.code, info.message, info.details), { outcome: { kind: 'get', callingAet, ...c } });
  }
}
