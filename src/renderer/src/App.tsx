import { useCallback, useEffect, useRef, useState } from 'react';
import { call } from './api';
import { CaseList } from './components/CaseList';
import { FindingsPanel } from './components/FindingsPanel';
import { ShortcutSheet } from './components/ShortcutSheet';
import { StatusBar } from './components/StatusBar';
import { TopBar } from './components/TopBar';
import { Viewer } from './components/Viewer';
import { installHook } from './debugHook';
import { handleShortcut } from './keyboard';
import { loadCase } from './review/loadCase';
import type { LoadedCase } from './review/types';
import { useAppStore } from './state/appStore';
import { useReviewStore } from './state/reviewStore';
import { useViewerStore } from './state/viewerStore';
import { toErrorInfo } from '../../shared/errors';

/** The workstation frame: cases | viewer | findings, with a status bar. */
export function App() {
  const { setInfo, setStatus, setPacks, setError, locale } = useAppStore();
  const [sheet, setSheetState] = useState(false);
  const sheetOpen = useRef(false);
  const setSheet = useCallback((open: boolean | ((s: boolean) => boolean)) => {
    sheetOpen.current = typeof open === 'function' ? open(sheetOpen.current) : open;
    setSheetState(sheetOpen.current);
  }, []);
  const current = useReviewStore((s) => s.cases[s.current]);
  const loaded = useRef(new Map<string, Promise<LoadedCase>>());
  const shown = useRef<Promise<void>>(Promise.resolve());

  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);

  const mediaBase = useCallback(async () => {
    const info = useAppStore.getState().info ?? (await call('app.info', {}));
    return info.mediaBase;
  }, []);

  // Switching cases: load (once per case) and show; drafts live in the review store, untouched.
  useEffect(() => {
    if (!current) return;
    let cache = loaded.current.get(current.id);
    if (!cache) {
      cache = mediaBase().then((base) => loadCase(current, base));
      loaded.current.set(current.id, cache);
    }
    shown.current = cache.then(
      (lc) => {
        if (useReviewStore.getState().cases[useReviewStore.getState().current]?.id !== current.id) return;
        useViewerStore.getState().showScene(lc.scene);
        if (lc.findings) useReviewStore.getState().setFindings(current.id, lc.findings);
      },
      (e) => setError(toErrorInfo(e)),
    );
  }, [current, mediaBase, setError]);

  useEffect(() => {
    installHook(async () => {
      await shown.current;
      // Two frames: react commits, konva draws.
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    });
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const ui = {
        toggleSheet: () => setSheet((s) => !s),
        closeSheet: () => {
          const was = sheetOpen.current;
          setSheet(false);
          return was;
        },
      };
      if (handleShortcut(e, ui)) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [setSheet]);

  useEffect(() => {
    // Status probes execution providers in the worker; the shell renders before it answers.
    call('app.info', {}).then(setInfo, (e) => setError(toErrorInfo(e)));
    call('packs.list', {}).then(setPacks, (e) => setError(toErrorInfo(e)));
    call('system.status', {}).then(setStatus, (e) => setError(toErrorInfo(e)));
  }, [setInfo, setStatus, setPacks, setError]);

  return (
    <div className="workstation">
      <TopBar onShortcuts={() => setSheet(true)} />
      <CaseList />
      <Viewer />
      <FindingsPanel />
      <StatusBar />
      {sheet && <ShortcutSheet onClose={() => setSheet(false)} />}
    </div>
  );
}
