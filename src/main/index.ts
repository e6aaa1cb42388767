/**
 * Electron main: windows, menu, the app protocol and IPC wiring — nothing else. Decoding and
 * inference run in the utility process; the handlers live in the Electron-free host.
 */
import { app, BrowserWindow } from 'electron';
import { join } from 'node:path';
import { createHost } from '../host/createHost';
import { appPaths } from '../host/paths';
import { electronChoosePaths } from './dialogs';
import { registerIpc } from './ipc';
import { installMenu } from './menu';
import { APP_ORIGIN, handleAppProtocol, registerSchemePrivileges } from './protocol';
import { denyPermissions, hardenApp } from './security';
import { forwardEvents } from './events';
import { createMainWindow, preloadFile } from './window';
import { utilityWorkerLauncher } from './workerProcess';
import { workerLogPath } from '../host/workerLog';

app.enableSandbox();
registerSchemePrivileges();
hardenApp();

const mainDir = import.meta.dirname;
// Packaged: models/ and resources/ are unpacked beside app.asar; in development, the repo root.
const appRoot = app.isPackaged ? process.resourcesPath : join(mainDir, '..', '..');

void app.whenReady().then(() => {
  denyPermissions();
  const paths = appPaths(appRoot, app.getPath('userData'));
  const host = createHost(paths, utilityWorkerLauncher(mainDir, workerLogPath(paths.userDataDir)), `${APP_ORIGIN}/media`, electronChoosePaths);
  handleAppProtocol(join(mainDir, '..', 'renderer'), host.media);
  registerIpc(host.handlers);
  forwardEvents(host.station);
  // The DICOM node runs when settings.yaml names its configuration; its state shows in the worklist.
  void host.dicom.startFromSettings();
  // Background sync of this history to the fleet's central database, when settings.yaml names one.
  host.fleet.startFromSettings();
  installMenu();
  createMainWindow(preloadFile(mainDir));
  // The line station named in settings (if any); a bad config shows in the Line room.
  void host.station.start();
  let stationStopped = false;
  app.on('before-quit', (e) => {
    if (stationStopped || !host.station.running) return;
    // Finish the case in flight and publish "offline" before quitting.
    e.preventDefault();
    void host.station.stop().finally(() => {
      stationStopped = true;
      app.quit();
    });
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createMainWindow(preloadFile(mainDir));
  });
  app.on('will-quit', () => host.close());
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
