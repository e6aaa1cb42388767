/**
 * The desktop app's side of the fleet (docs/FLEET.md). When settings.yaml names
 * `fleet.central`, main runs the same background sync as `inspector sync` and the station service
 * (core/fleet/background.ts) on the app's own history; when it names `fleet.dashboard`, the Fleet
 * room reads central statistics through that connection, inside READ ONLY transactions — the app
 * never writes central data except through the sync. A bad setting shows in the room, coded,
 * instead of stopping the app.
 */
import { BackgroundSync, connectCentral, fleetDrift, fleetStats, listStations, type BackgroundSyncState } from '../core/fleet/index';
import { localDay } from '../core/history/time';
import { loadFleetSetting, loadStation } from '../core/settings/index';
import { InspectorError, toErrorInfo, type ErrorInfo } from '../shared/errors';
import type { FleetStatsInput, FleetStatsResult, FleetStatus } from '../shared/fleet';
import type { HistoryAccess } from './history';
import type { AppPaths } from './paths';

export class FleetService {
  private sync: BackgroundSync | null = null;
  private error: ErrorInfo | null = null;

  constructor(private readonly deps: { paths: AppPaths; history: HistoryAccess }) {}

  /** Starts the background sync when the settings name a central database. */
  startFromSettings(): FleetStatus {
    if (this.sync) return this.status();
    try {
      const fleet = loadFleetSetting(this.deps.paths.userDataDir);
      if (!fleet?.central) return this.status();
      // The station id the sync keys rows by is the workstation's own (settings.yaml station.id).
      const station = loadStation(this.deps.paths.userDataDir)?.id;
      this.sync = new BackgroundSync(this.deps.history.get().db, {
        url: fleet.central,
        ...(station ? { station } : {}),
        intervalMs: (fleet.interval_s ?? 30) * 1000,
      }).start();
    } catch (e) {
      this.error = toErrorInfo(e, 'FLEET_SYNC_FAILED');
    }
    return this.status();
  }

  /** Send now (after a result was recorded) rather than at the next interval. */
  kick(): void {
    this.sync?.kick();
  }

  status(): FleetStatus {
    let dashboard = false;
    try {
      dashboard = !!loadFleetSetting(this.deps.paths.userDataDir)?.dashboard;
    } catch {
      // shown through `error` when the sync tried to start; the room still opens
    }
    const s: BackgroundSyncState | null = this.sync?.state ?? null;
    return {
      sync: s ? { status: s.status, station: s.station, central: s.central, pending: s.pending, sentTotal: s.sentTotal, lastSyncAt: s.lastSyncAt, lastError: s.lastError } : null,
      dashboard,
      ...(this.error ? { error: { code: this.error.code, message: this.error.message } } : {}),
    };
  }

  /** Central statistics and drift for whole days, through the read-only dashboard connection. */
  async stats(q: FleetStatsInput): Promise<FleetStatsResult> {
    const url = loadFleetSetting(this.deps.paths.userDataDir)?.dashboard;
    if (!url) throw new InspectorError('FLEET_DASHBOARD_UNSET', 'No fleet dashboard is configured: inspector settings set fleet.dashboard postgres://… (read-only credentials).');
    const c = await connectCentral(url);
    try {
      // Belt and braces beside the read-only role: nothing this connection runs can write.
      await c.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
      const chosen = q.stations ?? [];
      const window = {
        ...(q.from ? { from: Date.parse(`${q.from}T12:00:00`) } : {}),
        ...(q.to ? { to: Date.parse(`${q.to}T12:00:00`) } : {}),
        ...(chosen.length ? { stations: chosen } : {}),
      };
      const rows = await fleetStats(c, window);
      const drift = await fleetDrift(c, window);
      return { rows, drift, from: q.from ?? null, to: q.to ?? null, chosen, stations: await listStations(c), at: localDay(Date.now()) };
    } finally {
      await c.end().catch(() => {});
    }
  }

  async close(): Promise<void> {
    await this.sync?.stop();
    this.sync = null;
  }
}
