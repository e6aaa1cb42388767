/**
 * The only bridge between the page and the app: one `call(channel, input)` restricted to the
 * contract's channel names. The page never sees ipcRenderer, events or Node.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { InspectorApi } from '../shared/api';
import { isChannel } from '../shared/channels';

const api: InspectorApi = {
  call: (channel, input) => {
    if (!isChannel(channel)) {
      return Promise.resolve({ ok: false, error: { code: 'IPC_UNKNOWN_CHANNEL', message: `No such channel: ${String(channel)}` } });
    }
    return ipcRenderer.invoke(channel, input);
  },
};

contextBridge.exposeInMainWorld('api', api);
