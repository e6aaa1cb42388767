/**
 * The line station inside the desktop app. When settings.yaml (beside the history database) names a
 * station config (`inspector settings set station.config station.yaml`), the app's main side starts
 * the same service as `inspector station` (src/core/station via host/station.ts) on the app's
 * history, and the Line room shows its live feed.
 *
 * Off the UI thread: decoding and inference run in a worker process of the station's own — not the
 * one the reviewer's inspections use, so a reviewer opening a big series never delays a verdict the
 * PLC is waiting for, and a line burst never delays the reviewer. The main side only moves files,
 * writes SQLite rows and sends messages. Reviews the reviewer records in this app land in the same
 * history, where the station turns them into correction messages (docs/STATION.md, Corrections).
 */
import { dirname } from 'node:path';
import { loadStationService } from '../core/settings/index';
import { loadStationConfig } from '../core/station/config';
import { StationFeedModel } from '../core/station/feed';
import type { StationService } from '../core/station/service';
import { toErrorInfo } from '../shared/errors';
import { StationEvent, type StationFeed } from '../shared/station';
import type { HistoryAccess } from './history';
import type { AppPaths } from './paths';
import { startStation } from './station';
import { WorkerClient, type WorkerLauncher } from './workerClient';
import { workerConfig } from './workerConfig';

type ServiceState = StationFeed['service'];

/** OPC UA sessions open and close without a station event: the room's connection line is refreshed this often. */
const STATUS_REFRESH_MS = 2000;

export class StationHost {
  private service: StationService | null = null;
  private feedModel: StationFeedModel | null = null;
  private worker: WorkerClient | null = null;
  private state: ServiceState = 'off';
  private error: { code: string; message: string } | null = null;
  private configPath: string | null = null;
  private readonly listeners = new Set<(e: StationEvent) => void>();
  private refresh: NodeJS.Timeout | undefined;
  private starting: Promise<void> | null = null;
  private baseSeq = 0;

  constructor(
    private readonly deps: { paths: AppPaths; history: HistoryAccess; launcher: WorkerLauncher; version: string; log?: (line: string) => void },
  ) {}

  /** Every event passes the schema before any listener (main's webContents.send, the test bridge) sees it. */
  onEvent(listener: (e: StationEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: StationEvent): void {
    const checked = StationEvent.parse(e);
    for (const l of this.listeners) l(checked);
  }

  private get seq(): number {
    return this.baseSeq + (this.feedModel?.seq ?? 0);
  }

  private setState(s: ServiceState, error: { code: string; message: string } | null = null): void {
    this.state = s;
    this.error = error;
    this.baseSeq++;
    const c = this.feedModel?.current();
    this.emit({
      type: 'status',
      seq: this.seq,
      service: s,
      error,
      state: c?.state ?? (s === 'running' ? 'Ready' : 'Stopped'),
      queueDepth: c?.queueDepth ?? 0,
      pendingCases: c?.pendingCases ?? 0,
      processed: c?.processed ?? 0,
      connections: c?.connections ?? [],
    });
  }

  /** Starts the station named in the settings, if any. A bad config is shown in the room, never thrown at the app. */
  start(): Promise<void> {
    return (this.starting ??= this.doStart().finally(() => (this.starting = null)));
  }

  private async doStart(): Promise<void> {
    if (this.service) return;
    const dataDir = dirname(this.deps.paths.defaultDatabase);
    let configPath: string | null;
    try {
      configPath = loadStationService(dataDir)?.config ?? null;
    } catch (e) {
      this.setState('failed', toErrorInfo(e));
      return;
    }
    this.configPath = configPath;
    if (!configPath) {
      this.setState('off');
      return;
    }
    this.setState('starting');
    try {
      const loaded = loadStationConfig(configPath);
      this.worker = new WorkerClient(this.deps.launcher, workerConfig(this.deps.paths, this.deps.version));
      const log = this.deps.log ?? (() => {});
      this.service = await startStation({ worker: this.worker, history: this.deps.history }, loaded, { dataDir, log });
      this.feedModel = new StationFeedModel(this.service, (e) => this.emit({ ...e, seq: this.baseSeq + e.seq }));
      this.refresh = setInterval(() => this.feedModel?.status(), STATUS_REFRESH_MS);
      this.setState('running');
    } catch (e) {
      this.worker?.stop();
      this.worker = null;
      this.service = null;
      this.setState('failed', toErrorInfo(e));
    }
  }

  feed(): StationFeed {
    const m = this.feedModel;
    const c = m?.current();
    const cfg = this.service?.station.config;
    return {
      configured: this.configPath !== null,
      config: this.configPath,
      service: this.state,
      error: this.error,
      station: cfg ? { id: cfg.station.id, line: cfg.station.line } : null,
      state: c?.state ?? 'Stopped',
      queueDepth: c?.queueDepth ?? 0,
      queueMax: c?.queueMax ?? 0,
      pendingCases: c?.pendingCases ?? 0,
      processed: c?.processed ?? 0,
      connections: c?.connections ?? [],
      cases: m?.recentCases() ?? [],
      seq: this.seq,
    };
  }

  /** The running service (tests and the app's quit path). */
  get running(): StationService | null {
    return this.service;
  }

  async stop(): Promise<void> {
    await this.starting;
    if (this.refresh) clearInterval(this.refresh);
    this.feedModel?.close();
    this.feedModel = null;
    const s = this.service;
    this.service = null;
    if (s) {
      await s.close();
      this.setState('stopped');
    }
    this.worker?.stop();
    this.worker = null;
  }
}
