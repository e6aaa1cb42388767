/**
 * The station on the host: its inspections go to the same worker `inspect` call and the same
 * history records as `inspector batch` (recordInspection), so a station case and a batch case of the
 * same images are indistinguishable in the history apart from their station/line.
 */
import type { LoadedStationConfig } from '../core/station/config';
import { startStationService, type StationService } from '../core/station/service';
import type { HistoryAccess } from './history';
import { recordExplanations, recordInspection, recordPackReferences } from './recordInspection';
import { stationCalibration } from '../core/evaluation/validation';
import type { WorkerClient } from './workerClient';

export async function startStation(
  ctx: { worker: WorkerClient; history: HistoryAccess },
  loaded: LoadedStationConfig,
  opts: { dataDir: string; log?: (line: string) => void },
): Promise<StationService> {
  const store = ctx.history.get();
  const cfg = loaded.config;
  return startStationService(
    loaded,
    {
      store,
      inspect: (paths, baseDir, part = 'all', maps = 'with') =>
        ctx.worker.call('inspect', {
          paths,
          baseDir,
          config: cfg.inspection,
          calibration: stationCalibration(store.db),
          findings: part === 'decide' ? 'skip' : part === 'detail' ? 'only' : 'with',
          // Scores only: the decision never waits for the map (it is drawn after the publish, by the
          // packs that draw one: the anomaly pack's map is its score and stays in its run).
          ...(maps === 'none' ? { method: 'none' as const } : maps === 'only' ? { deciding: 'explained' as const } : {}),
        }),
      record: (report) => recordInspection(store, report, { line: cfg.station.line, station: cfg.station.id, operatorId: store.currentOperator()?.id ?? null }),
      recordExplanations: (report, runs) => recordExplanations(store, report, runs, { operatorId: store.currentOperator()?.id ?? null }),
      afterRecord: (report) => recordPackReferences(ctx.worker, store, report),
    },
    opts,
  );
}
