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
import { buildExplanation, explanationState } from '../core/station/explanation';
import { StationLedger } from '../core/station/ledger';
import { AccessGrants } from './grants';
import type { StationService } from '../core/station/service';
import { toErrorInfo } from '../shared/errors';
import { StationEvent, type StationControl, type StationExplanationView, type StationFeed } from '../shared/station';
import { InspectorError } from '../shared/errors';
import { recordEvent } from '../core/history/records';
import { canonicalJson, sha256Hex } from '../core/history/hash';

/** Who may start, stop, halt or reset the line from the app. */
const CONTROL_ROLES: readonly string[] = ['operator', 'supervisor', 'admin'];
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
      vision: c?.vision ?? null,
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
      vision: c?.vision ?? null,
      queueDepth: c?.queueDepth ?? 0,
      queueMax: c?.queueMax ?? 0,
      pendingCases: c?.pendingCases ?? 0,
      processed: c?.processed ?? 0,
      connections: c?.connections ?? [],
      cases: m?.recentCases() ?? [],
      seq: this.seq,
    };
  }

  /**
   * An operator's action from the Line room. The selected operator must be a line operator,
   * supervisor or admin (a reviewer reviews, an anonymous app changes nothing on the line); the
   * action is written to the audit chain first, so even a refused transition's request is not
   * lost and every change of the line's state has a name beside it.
   */
  async control(action: StationControl['action']): Promise<StationFeed> {
    const store = this.deps.history.get();
    const op = store.currentOperator();
    if (!op) throw new InspectorError('STATION_OPERATOR_REQUIRED', 'Select an operator before starting, stopping, halting or resetting the line station.');
    if (!CONTROL_ROLES.includes(op.role)) {
      throw new InspectorError('STATION_ROLE_REQUIRED', `Controlling the line station needs an operator, supervisor or admin; ${op.id} is ${op.role}.`, { operator: op.id, role: op.role });
    }
    const stationId = this.service?.station.config.station.id ?? this.configPath ?? 'station';
    const before = this.feed();
    const m = this.service?.channels.opcua?.machine;
    const refuse = (why: string) => new InspectorError('STATION_INVALID_STATE', `${action} is not possible now: ${why}.`, { action, service: before.service, vision: before.vision ?? null });
    // Check first, then audit, then act: an action that cannot apply is refused and changes nothing.
    if (action === 'start' && this.service) throw refuse('the station is running');
    if ((action === 'stop' || action === 'halt' || action === 'reset') && !this.service) throw refuse('the station is not running');
    if (action === 'halt' && m && m.vision() === 'Halted') throw refuse('it is Halted already');
    if (action === 'reset' && m && m.vision() !== 'Halted' && m.vision() !== 'Error') throw refuse(`it is ${m.vision()}, not Halted or Error`);
    if (action === 'reset' && !m && this.service?.station.intakeOn) throw refuse('it is reading its hot folder');
    store.write((tx) =>
      recordEvent(tx, op.id, `station.${action}`, stationId, sha256Hex(canonicalJson({ action, station: stationId, service: before.service, vision: before.vision ?? null, state: before.state }))),
    );
    this.deps.log?.(`station ${stationId}: ${action} by ${op.id} (${op.role})`);
    if (action === 'start') await this.start();
    else if (action === 'stop') await this.stop();
    else if (action === 'halt') {
      // Without OPC UA there is no state machine: halting stops reading the hot folder, as Halted does.
      if (m) m.halt();
      else this.service!.station.setIntake(false);
    } else if (m) m.resetToContinuous();
    else this.service!.station.setIntake(true);
    this.feedModel?.status();
    return this.feed();
  }

  /** A station case's explanation for the Line room: its recorded maps, or pending / none. */
  explanation(resultId: string): StationExplanationView {
    const ledger = this.service?.station.ledger ?? new StationLedger(this.deps.history.get());
    const r = ledger.result(resultId);
    if (!r) throw new InspectorError('STATION_RESULT_NOT_FOUND', `No station result ${resultId}.`, { resultId });
    const x = buildExplanation(ledger.store, r);
    return { state: x ? 'recorded' : explanationState(ledger.store, r), resultId, maps: x?.maps ?? [], afterResultMs: x?.afterResultMs ?? null };
  }

  /**
   * Where the Line room may read a station case's image from: the running station's own folders
   * (watch dirs and move targets — chosen when its config was set), and only for a run of that case.
   */
  caseRunAccess(resultId: string, runId: number): AccessGrants {
    const s = this.service?.station;
    if (!s) throw new InspectorError('STATION_NOT_RUNNING', 'The line station is not running.');
    const r = s.ledger.result(resultId);
    if (!r || !r.runIds.includes(runId)) throw new InspectorError('STATION_RUN_NOT_OF_CASE', `Run ${runId} is not a deciding run of station result ${resultId}.`, { resultId, runId });
    const g = new AccessGrants();
    for (const w of s.config.watch) {
      for (const dir of [w.dir, ...(w.after.startsWith('move:') ? [w.after.slice(5)] : [])]) {
        try {
          g.grant(dir);
        } catch {
          /* a move target not created yet */
        }
      }
    }
    return g;
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
