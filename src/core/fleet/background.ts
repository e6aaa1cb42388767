/**
 * Sync in the background of a long-running process (the station service, the desktop app, the
 * `inspector sync` loop): every interval, or at once after a `kick()`, connect, send what the
 * outbox holds, disconnect. Offline is normal on a line PC, so an unreachable central database
 * only changes the state and is tried again; the station keeps inspecting into its own history
 * regardless. Rounds never overlap, and `stop()` waits for the batch in flight (each batch is one
 * PostgreSQL transaction, so even an abandoned one loses nothing).
 */
import type Database from 'better-sqlite3';
import { InspectorError } from '../../shared/errors';
import { connectCentral, migrateCentral, redact } from './central';
import { pendingCount, stationId, syncStation, type SyncResult } from './sync';

export type BackgroundSyncStatus = 'starting' | 'sending' | 'synced' | 'offline' | 'failed' | 'stopped';

export interface BackgroundSyncState {
  status: BackgroundSyncStatus;
  station: string;
  central: string;
  /** Outbox entries not yet in central. */
  pending: number;
  sentTotal: number;
  lastSyncAt: number | null;
  lastError: { code: string; message: string } | null;
  /** What the latest successful round sent. */
  last: SyncResult | null;
}

export interface BackgroundSyncOptions {
  url: string;
  station?: string;
  intervalMs?: number;
  /** Smaller than the CLI's 5000: a round reads its batch synchronously on the caller's thread. */
  batchSize?: number;
  log?: (line: string) => void;
  onState?: (s: BackgroundSyncState) => void;
}

export class BackgroundSync {
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly s: BackgroundSyncState;
  private readonly interval: number;

  constructor(
    private readonly db: Database.Database,
    private readonly opts: BackgroundSyncOptions,
  ) {
    this.interval = opts.intervalMs ?? 10_000;
    this.s = {
      status: 'starting',
      station: stationId(db, opts.station),
      central: redact(opts.url),
      pending: pendingCount(db),
      sentTotal: 0,
      lastSyncAt: null,
      lastError: null,
      last: null,
    };
  }

  get state(): BackgroundSyncState {
    return { ...this.s };
  }

  start(): this {
    this.kick();
    return this;
  }

  /** Send now (e.g. after a result was recorded) instead of at the next interval. */
  kick(): void {
    if (this.stopped) return;
    if (this.round) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.round = this.once().finally(() => {
      this.round = null;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.kick();
      } else this.timer = setTimeout(() => this.kick(), this.interval);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.round;
    this.set({ status: 'stopped' });
  }

  private set(p: Partial<BackgroundSyncState>): void {
    Object.assign(this.s, p);
    this.opts.onState?.(this.state);
  }

  private async once(): Promise<void> {
    this.set({ status: 'sending', pending: pendingCount(this.db) });
    let result: SyncResult;
    try {
      const central = await connectCentral(this.opts.url);
      try {
        await migrateCentral(central);
        result = await syncStation(this.db, central, this.s.station, { batchSize: this.opts.batchSize ?? 1000 });
      } finally {
        await central.end().catch(() => {});
      }
    } catch (e) {
      const err = e instanceof InspectorError ? e : new InspectorError('FLEET_SYNC_FAILED', (e as Error).message);
      const offline = err.code === 'FLEET_CENTRAL_UNREACHABLE';
      if (this.s.lastError?.code !== err.code) this.opts.log?.(`sync ${offline ? 'offline' : 'failed'}: ${err.code}: ${err.message}`);
      this.set({ status: offline ? 'offline' : 'failed', lastError: { code: err.code, message: err.message }, pending: pendingCount(this.db) });
      return;
    }
    if (result.sent > 0) this.opts.log?.(`sync: sent ${result.sent} records to ${this.s.central}; central holds up to ${result.lastSeq}`);
    this.set({ status: 'synced', sentTotal: this.s.sentTotal + result.sent, lastSyncAt: Date.now(), lastError: null, pending: result.pending, last: result });
  }
}
