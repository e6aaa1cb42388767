/**
 * A running station service: the Station plus the channels its config names (MQTT, OPC UA, REST),
 * started in order and closed in reverse. The shells (CLI, desktop app) build StationDeps from their
 * inspection worker and history and call startStationService.
 */
import { existsSync, readFileSync } from 'node:fs';
import { InspectorError } from '../../shared/errors';
import type { LoadedStationConfig } from './config';
import { BackgroundSync } from '../fleet/background';
import { MqttPublisher } from './mqtt';
import type { VisionMachine } from './visionStateMachine';
import { limitOwnArenas, releaseFreedNativeMemory, TRIM_EVERY, tuneChildAllocator } from './nativeMemory';
import { Station, type CaseTrace, type StationDeps } from './station';

export interface StationChannels {
  mqtt?: MqttPublisher;
  /** Background sync to the fleet's central database (`sync:` in station.yaml). */
  sync?: BackgroundSync;
  opcua?: { endpointUrl: string; sessionCount(): number; close(): Promise<void>; machine?: VisionMachine };
  rest?: { url: string; close(): Promise<void> };
}

export interface StationService {
  station: Station;
  channels: StationChannels;
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** Data folder: the OPC UA certificate store lives in <dataDir>/pki. */
  dataDir: string;
  log?: (line: string) => void;
}

/**
 * A station process's SQLite memory, bounded small (the CLI's `inspector station` calls this on its
 * own history). The history's defaults suit the desktop app's History room over a million runs — a
 * 64 MiB page cache and a 256 MiB memory map — but in a long-running station both fill with the
 * database as it grows, and that is most of its RSS growth over a soak (docs/STATION.md, "Soak"):
 * bounded, yet thousands of images before they are full. The station's own queries read the newest
 * rows by index; the OS page cache (not counted in the process's RSS) serves the rest.
 */
export const STATION_SQLITE = { cacheKiB: 8192, mmapBytes: 0 } as const;

export function boundStationHistoryMemory(db: { pragma(source: string): unknown }): void {
  db.pragma(`cache_size = -${STATION_SQLITE.cacheKiB}`);
  db.pragma(`mmap_size = ${STATION_SQLITE.mmapBytes}`);
}

export async function startStationService(loaded: LoadedStationConfig, deps: StationDeps, opts: ServiceOptions): Promise<StationService> {
  const cfg = loaded.config;
  const log = opts.log ?? (() => {});
  if (!existsSync(cfg.inspection)) {
    throw new InspectorError('STATION_INSPECTION_NOT_FOUND', `The inspection configuration ${cfg.inspection} (station.yaml "inspection") does not exist.`, { path: cfg.inspection });
  }
  // Native memory (nativeMemory.ts): fewer malloc arenas in the worker spawned below, freed pages
  // returned every TRIM_EVERY cases. The own-arena limit comes first: it must precede tuneChildAllocator,
  // which sets MALLOC_ARENA_MAX in this process's environment for its children.
  limitOwnArenas();
  tuneChildAllocator();
  const station = new Station(cfg, { ...deps, log });
  let decided = 0;
  station.on('result', () => {
    if (++decided % TRIM_EVERY === 0) releaseFreedNativeMemory();
  });
  // Where a case's time went (docs/STATION.md, "Latency"): one line per case, on request.
  if (process.env['INSPECTOR_STATION_TRACE'] === '1') station.on('trace', (t: CaseTrace) => log(`trace ${JSON.stringify(t)}`));
  // Memory per N cases (INSPECTOR_STATION_MEMLOG=N; the soak reads it to find where RSS grows). With
  // node --expose-gc a full collection runs first, so a heap that only waits for the GC does not count.
  const memEvery = Number(process.env['INSPECTOR_STATION_MEMLOG'] ?? 0);
  if (memEvery > 0) {
    let n = 0;
    station.on('result', () => {
      if (++n % memEvery !== 0) return;
      (globalThis as { gc?: () => void }).gc?.();
      const m = process.memoryUsage();
      log(`memory ${JSON.stringify({ cases: n, rss: m.rss, ...procStatus(), heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, listeners: station.listenerCount('result') })}`);
    });
  }
  const channels: StationChannels = {};
  if (cfg.publish.mqtt) {
    const m = new MqttPublisher(cfg.publish.mqtt, cfg.station, station.ledger, log);
    station.addOutbox(m.outbox);
    station.addCorrectionOutbox(m.correctionOutbox);
    station.addFindingsOutbox(m.findingsOutbox);
    station.addExplanationOutbox(m.explanationOutbox);
    station.on('result', () => m.kick());
    station.on('findings', () => m.kick());
    station.on('explanation', () => m.kick());
    station.on('correction', () => m.kick());
    station.on('queue', (d: number) => m.queueDepth(d));
    if (process.env['INSPECTOR_STATION_TRACE'] === '1') m.on('sent', (_id: number, topic: string, uid: string) => log(`trace-sent ${JSON.stringify({ topic, caseUid: uid, at: Date.now() })}`));
    channels.mqtt = m;
  }
  try {
    // Loaded only when configured: node-opcua alone is ~70 MB of JavaScript.
    if (cfg.publish.opcua) {
      const { startOpcUaServer } = await import('./opcua');
      channels.opcua = await startOpcUaServer(station, cfg.publish.opcua, opts.dataDir, log);
    }
    if (cfg.publish.rest) {
      const { startRestServer } = await import('./rest');
      channels.rest = await startRestServer(station, cfg.publish.rest, log, opts.dataDir);
    }
  } catch (e) {
    await channels.opcua?.close();
    throw e;
  }
  if (cfg.sync) {
    // The URL carries no password; the driver reads PGPASSWORD, filled from the named variable.
    const pw = process.env[cfg.sync.password_env];
    if (pw !== undefined && cfg.sync.password_env !== 'PGPASSWORD') process.env['PGPASSWORD'] = pw;
    const bg = new BackgroundSync(deps.store.db, { url: cfg.sync.to, station: cfg.station.id, intervalMs: cfg.sync.interval_s * 1000, log });
    station.on('result', () => bg.kick());
    channels.sync = bg;
  }
  channels.mqtt?.start();
  channels.sync?.start();
  station.start();
  return {
    station,
    channels,
    async close() {
      await station.stop();
      await channels.sync?.stop();
      await channels.rest?.close();
      await channels.opcua?.close();
      await channels.mqtt?.close();
    },
  };
}

/** RssAnon / RssFile of this process in bytes (Linux /proc; empty elsewhere), for the memory log. */
function procStatus(): { rssAnon?: number; rssFile?: number } {
  try {
    const text = readFileSync('/proc/self/status', 'utf8');
    const kb = (f: string) => Number(new RegExp(`${f}:\\s+(\\d+)`).exec(text)?.[1] ?? NaN) * 1024;
    return { rssAnon: kb('RssAnon'), rssFile: kb('RssFile') };
  } catch {
    return {};
  }
}
