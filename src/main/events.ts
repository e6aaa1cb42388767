/**
 * Pushes host events to the app's windows: the station's live feed (`station.event`). Payloads were
 * validated against their schema by the host before they get here; only app-protocol windows get them.
 */
import { BrowserWindow } from 'electron';
import type { StationHost } from '../host/stationHost';
import { APP_ORIGIN } from './protocol';

export function forwardEvents(station: StationHost): void {
  station.onEvent((e) => {
    const devUrl = process.env['ELECTRON_RENDERER_URL'];
    for (const w of BrowserWindow.getAllWindows()) {
      const url = w.webContents.getURL();
      if (url.startsWith(`${APP_ORIGIN}/`) || (!!devUrl && url.startsWith(devUrl))) w.webContents.send('station.event', e);
    }
  });
}
