/**
 * The only bridge between the page and the app: one `call(channel, input)` restricted to the
 * contract's channel names. The page never sees ipcRenderer, events or Node.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { InspectorApi } from '../shared/api';
import { isChannel, isEventChannel } from '../shared/channels';

const api: InspectorApi = {
  call: (channel, input) => {
    if (!isChannel(channel)) {
      return Promise.resolve({ ok: false, error: { code: 'IPC_UNKNOWN_CHANNEL', message: `No such channel: ${String(channel)}` } });
    }
    return ipcRenderer.invoke(channel, input);
  },
  // Only the named event channels, and only the payload: the page never sees the IpcRendererEvent.
  on: (event, listener) => {
    if (!isEventChannel(event)) throw new Error(`No such event: ${String(event)}`);
    const handler = (_e: unknown, payload: unknown) => listener(payload);
    ipcRenderer.on(event, handler);
    return () => {
      ipcRenderer.off(event, handler);
    };
  },
};

contextBridge.exposeInMainWorld('api', api);
