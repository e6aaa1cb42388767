/**
 * The worklist's Node settings panel: the node's dicom.yaml as the host parsed it, an admin's draft
 * of the editable fields (AE title, port, allow-list, DIMSE result destinations), and the host's
 * answer to Save. Inputs stay text while typed; the host's config schema judges them and its issues
 * (`field.path: message`) are shown beside the field they name.
 */
import { create } from 'zustand';
import { call } from '../api';
import type { Output } from '../../../shared/contract';
import { toErrorInfo, type ErrorInfo } from '../../../shared/errors';
import { useWorklistStore } from './worklistStore';
import { draftOf, editOf, type NodeSettingsDraft } from './nodeSettingsView';

type NodeSettingsView = Output<'dicom.settings'>;

interface NodeSettingsState {
  view: NodeSettingsView | null;
  loadError: ErrorInfo | null;
  draft: NodeSettingsDraft | null;
  saving: boolean;
  /** The last save's answer: the port the node restarted on, or the error (with its issues). */
  saved: { port: number | null; changed: string[] } | null;
  saveError: ErrorInfo | null;
  load(): Promise<void>;
  edit(): void;
  cancel(): void;
  change(f: (d: NodeSettingsDraft) => NodeSettingsDraft): void;
  save(): Promise<void>;
}

export const useNodeSettingsStore = create<NodeSettingsState>((set, get) => ({
  view: null,
  loadError: null,
  draft: null,
  saving: false,
  saved: null,
  saveError: null,
  load: async () => {
    try {
      set({ view: await call('dicom.settings', {}), loadError: null });
    } catch (e) {
      set({ loadError: toErrorInfo(e) });
    }
  },
  edit: () => {
    const config = get().view?.config;
    if (config) set({ draft: draftOf(config), saved: null, saveError: null });
  },
  cancel: () => set({ draft: null, saveError: null }),
  change: (f) => set((s) => (s.draft ? { draft: f(s.draft) } : {})),
  save: async () => {
    const d = get().draft;
    if (!d) return;
    set({ saving: true, saved: null, saveError: null });
    try {
      const r = await call('dicom.saveSettings', editOf(d));
      set({ saving: false, draft: null, saved: { port: r.node.port ?? null, changed: r.changed } });
    } catch (e) {
      set({ saving: false, saveError: toErrorInfo(e) });
    }
    // The worklist's node line and this panel show what the host now runs, saved or restored.
    await Promise.all([get().load(), useWorklistStore.getState().refresh()]);
  },
}));
