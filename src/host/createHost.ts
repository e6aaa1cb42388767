/** Builds the Electron-free host (paths, worker, media, handlers) that main, CLI and tests share. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AccessGrants } from './grants';
import { createHandlers, type ChoosePaths, type Handlers, type HostContext } from './handlers';
import { DicomNodeService } from './dicomNode';
import { FleetService } from './fleetService';
import { HistoryAccess } from './history';
import { MediaStore } from './media';
import type { AppPaths } from './paths';
import { StationHost } from './stationHost';
import { WorkerClient, type WorkerLauncher } from './workerClient';
import { readAppVersion, workerConfig } from './workerConfig';

export { readAppVersion };

export interface Host extends HostContext {
  handlers: Handlers;
  close(): void;
}

/** Headless hosts (CLI) have no picker: paths come from arguments, granted by the command. */
const noPicker: ChoosePaths = async () => [];

export function createHost(paths: AppPaths, launcher: WorkerLauncher, mediaBase: string, choosePaths: ChoosePaths = noPicker): Host {
  const version = readAppVersion(paths.appRoot);
  const worker = new WorkerClient(launcher, workerConfig(paths, version));
  const grants = new AccessGrants();
  // The bundled samples are always readable: they ship with the app.
  const samples = join(paths.resourcesDir, 'samples');
  if (existsSync(samples)) grants.grant(samples);
  const history = new HistoryAccess(paths.defaultDatabase);
  // Started by the desktop app (main) when settings name a station config; CLI hosts never start it.
  const station = new StationHost({ paths, history, launcher, version });
  // A node settings change is logged on main's stderr too (the audit chain holds the record).
  const dicom = new DicomNodeService({ paths, worker, history, version, log: (line) => process.stderr.write(`inspector: ${line}\n`) });
  // Started by main when settings.yaml names fleet.central; the Fleet room shows its state.
  const fleet = new FleetService({ paths, history });
  const ctx: HostContext = { version, paths, worker, media: new MediaStore(), grants, mediaBase, choosePaths, history, dicom, station, fleet };
  return {
    ...ctx,
    handlers: createHandlers(ctx),
    close: () => {
      void dicom.close();
      void fleet.close();
      worker.stop();
      // A running station is stopped first (its case in flight finishes); then the history closes.
      if (station.running) void station.stop().finally(() => history.close());
      else history.close();
    },
  };
}
