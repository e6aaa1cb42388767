/**
 * Registers every contract channel on ipcMain through the shared `dispatch`. Each request is
 * checked to come from the app's own top frame, served from the app protocol (Electron security
 * checklist item 17: validate the sender).
 */
import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { CHANNELS } from '../shared/channels';
import { dispatch } from '../host/dispatch';
import type { Handlers } from '../host/handlers';
import { APP_ORIGIN } from './protocol';

function fromAppFrame(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  if (!frame || frame.parent) return false;
  const devUrl = process.env['ELECTRON_RENDERER_URL'];
  return frame.url.startsWith(`${APP_ORIGIN}/`) || (!!devUrl && frame.url.startsWith(devUrl));
}

export function registerIpc(handlers: Handlers): void {
  for (const channel of CHANNELS) {
    ipcMain.handle(channel, (event, input: unknown) => {
      if (!fromAppFrame(event)) {
        return { ok: false, error: { code: 'IPC_FORBIDDEN_SENDER', message: 'Request did not come from the app window.' } };
      }
      return dispatch(handlers, channel, input);
    });
  }
}
