/**
 * The live feed of a running station service, for the desktop app's Line room: the last N cases
 * (with the reviewer corrections recorded on them), queue depth, the station's state and each
 * channel's connection state. It only listens to the service's events and reads the ledger; it
 * never changes what the station records or publishes. `onEvent` receives one small event per
 * change (a new case, a correction, a status change) with an increasing `seq`.
 */
import type { StationConnection, StationEvent, StationFeedCase, StationFeedCorrection } from '../../shared/station';
import { explanationState, type ExplanationState, type StationExplanation } from './explanation';
import type { StationCorrection, StationFindings, StationResult } from './result';
import type { StationService } from './service';

export const FEED_LIMIT = 50;

/** A published correction as the Line room shows it: the reviewer's decision and what the case verdict became. */
function feedCorrection(c: StationCorrection): StationFeedCorrection {
  return {
    reviewId: c.reviewId,
    runId: c.runId,
    view: c.view,
    decision: c.decision,
    label: c.label,
    reviewer: c.reviewer,
    reviewedAt: c.reviewedAt,
    correctedVerdict: c.correctedVerdict,
    verdictChanged: c.verdictChanged,
  };
}

type FeedImageSource = Pick<StationResult['images'][number], 'view' | 'file' | 'runId' | 'decision' | 'label' | 'defectScore' | 'role' | 'error'>;

/** A case as the Line room shows it; `findings` are its non-deciding runs, recorded after the result. */
export function feedCase(r: StationResult, corrections: StationFeedCorrection[] = [], findings: readonly FeedImageSource[] = [], explanation?: ExplanationState): StationFeedCase {
  return {
    resultId: r.resultId,
    caseUid: r.caseUid,
    serial: r.serial,
    partId: r.partId,
    lot: r.lot,
    verdict: r.verdict,
    evaluation: r.evaluation,
    flagged: r.verdict !== 'PASS',
    trigger: r.trigger,
    createdAt: r.createdAt,
    reasons: r.reasons.map((x) => ({ code: x.code, message: x.message })),
    images: [...r.images, ...findings.filter((f) => !r.images.some((i) => i.runId !== null && i.runId === f.runId))].map((i: FeedImageSource) => ({
      view: i.view,
      file: i.file,
      runId: i.runId,
      decision: i.decision,
      label: i.label,
      defectScore: i.defectScore,
      ...(i.role ? { role: i.role } : {}),
      ...(i.error ? { error: `${i.error.code}: ${i.error.message}` } : {}),
    })),
    corrections,
    ...(explanation ? { explanation } : {}),
  };
}

export interface FeedStatus {
  state: string;
  queueDepth: number;
  queueMax: number;
  pendingCases: number;
  processed: number;
  connections: StationConnection[];
  vision: string | null;
}

export class StationFeedModel {
  private cases: StationFeedCase[] = [];
  private seqNo = 0;
  private readonly off: (() => void)[] = [];
  private statusTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly service: StationService,
    private readonly onEvent: (e: StationEvent) => void,
    private readonly limit = FEED_LIMIT,
  ) {
    const { station, channels } = service;
    const ledger = station.ledger;
    this.cases = ledger.recent(station.config.station.id, limit).map((r) =>
      feedCase(
        r,
        ledger.reviewsOfRuns(r.runIds).map((rv) => feedCorrection(station.correctionOf(r, rv))),
        ledger.findingsOf(r),
        explanationState(ledger.store, r),
      ),
    );
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter listeners take any arguments
    const on = (emitter: NodeJS.EventEmitter, name: string, fn: (...a: any[]) => void) => {
      emitter.on(name, fn);
      this.off.push(() => emitter.off(name, fn));
    };
    on(station, 'result', (r: StationResult) => {
      const c = feedCase(r, [], [], explanationState(ledger.store, r));
      this.cases = [c, ...this.cases.filter((x) => x.resultId !== r.resultId)].slice(0, this.limit);
      this.onEvent({ type: 'case', seq: ++this.seqNo, case: c });
      this.status();
    });
    on(station, 'findings', (f: StationFindings) => {
      const i = this.cases.findIndex((x) => x.resultId === f.resultId);
      if (i < 0) return;
      const r = station.ledger.result(f.resultId);
      if (!r) return;
      const c = feedCase(r, this.cases[i]!.corrections, f.images, this.cases[i]!.explanation);
      this.cases[i] = c;
      this.onEvent({ type: 'case', seq: ++this.seqNo, case: c });
    });
    // The map recorded after the result: the room can now show it over the image.
    on(station, 'explanation', (x: StationExplanation) => {
      const i = this.cases.findIndex((y) => y.resultId === x.resultId);
      if (i < 0) return;
      this.cases[i] = { ...this.cases[i]!, explanation: 'recorded' };
      this.onEvent({ type: 'case', seq: ++this.seqNo, case: this.cases[i]! });
    });
    on(station, 'correction', (c: StationCorrection) => {
      const fc = feedCorrection(c);
      const kase = this.cases.find((x) => x.resultId === c.resultId);
      if (kase && !kase.corrections.some((x) => x.reviewId === fc.reviewId)) kase.corrections = [...kase.corrections, fc];
      this.onEvent({ type: 'correction', seq: ++this.seqNo, resultId: c.resultId, correction: fc });
      this.status();
    });
    on(station, 'state', () => this.status());
    on(station, 'queue', () => this.status());
    if (channels.mqtt) {
      on(channels.mqtt, 'connection', () => this.status());
      on(channels.mqtt, 'sent', () => this.status());
    }
  }

  get seq(): number {
    return this.seqNo;
  }

  /** Newest first. */
  recentCases(): StationFeedCase[] {
    return this.cases;
  }

  connections(): StationConnection[] {
    const { station, channels } = this.service;
    const p = station.config.publish;
    const mqtt: StationConnection = channels.mqtt
      ? { channel: 'mqtt', state: channels.mqtt.connected ? 'connected' : 'disconnected', url: p.mqtt?.url ?? null, unsent: station.ledger.unsentCount('mqtt') }
      : { channel: 'mqtt', state: 'off', url: null };
    const opcua: StationConnection = channels.opcua
      ? { channel: 'opcua', state: 'listening', url: channels.opcua.endpointUrl, clients: channels.opcua.sessionCount() }
      : { channel: 'opcua', state: 'off', url: null };
    const rest: StationConnection = channels.rest ? { channel: 'rest', state: 'listening', url: channels.rest.url } : { channel: 'rest', state: 'off', url: null };
    return [mqtt, opcua, rest];
  }

  current(): FeedStatus {
    const s = this.service.station.status();
    const m = this.service.channels.opcua?.machine;
    const vision = m ? `${m.vision()}${m.automatic() ? `/${m.automatic()}` : ''}` : null;
    return { state: s.state, vision, queueDepth: s.queueDepth, queueMax: s.queueMax, pendingCases: s.pendingCases, processed: s.processed, connections: this.connections() };
  }

  /**
   * Pushes a status event, coalesced: a case moves the queue and the state several times within a
   * millisecond, the page needs one event. Also called by the host on a timer (OPC UA sessions come
   * and go without an event of the station's).
   */
  status(): void {
    if (this.statusTimer) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = undefined;
      this.pushStatus();
    }, 50);
  }

  private pushStatus(): void {
    const c = this.current();
    this.onEvent({
      type: 'status',
      seq: ++this.seqNo,
      service: 'running',
      error: null,
      state: c.state,
      vision: c.vision,
      queueDepth: c.queueDepth,
      pendingCases: c.pendingCases,
      processed: c.processed,
      connections: c.connections,
    });
  }

  close(): void {
    if (this.statusTimer) clearTimeout(this.statusTimer);
    for (const f of this.off.splice(0)) f();
  }
}
