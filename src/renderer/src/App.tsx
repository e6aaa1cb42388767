import { useCallback, useEffect, useRef, useState } from 'react';
import { call } from './api';
import { BatchProgress } from './components/BatchProgress';
import { CaseList } from './components/CaseList';
import { FindingsPanel } from './components/FindingsPanel';
import { ShortcutSheet } from './components/ShortcutSheet';
import { StatusBar } from './components/StatusBar';
import { TopBar } from './components/TopBar';
import { Viewer } from './components/Viewer';
import { installHook } from './debugHook';
import { handleShortcut } from './keyboard';
import { loadCached } from './review/caseCache';
import { submitToHistory } from './review/submit';
import { useAppStore } from './state/appStore';
import { useReviewStore } from './state/reviewStore';
import { useViewerStore } from './state/viewerStore';
import { toErrorInfo } from '../../shared/errors';
import { Dashboard } from './dashboard/Dashboard';
import { HistoryView } from './history/HistoryView';
import { LineRoom } from './line/LineRoom';
import { FleetRoom } from './fleet/FleetRoom';
import { WorklistRoom } from './worklist/WorklistRoom';
import { EvaluateView } from './evaluate/EvaluateView';
import { useNavStore } from './history/navStore';
import './history/history.css';

/** The workstation frame: cases | viewer | findings, with a status bar. */
export function App() {
  const { setInfo, setStatus, setPacks, setError, locale } = useAppStore();
  const [sheet, setSheetState] = useState(false);
  const sheetOpen = useRef(false);
  const setSheet = useCallback((open: boolean | ((s: boolean) => boolean)) => {
    sheetOpen.current = typeof open === 'function' ? open(sheetOpen.current) : open;
    setSheetState(sheetOpen.current);
  }, []);
  // By id: a case whose record changes (inspection results, status) stays shown as it is.
  const currentId = useReviewStore((s) => s.cases[s.current]?.id);
  const view = useNavStore((s) => s.view);
  // First paint (a preview may stand in for the first frame), and the case at full resolution.
  const shown = useRef<Promise<void>>(Promise.resolve());
  const complete = useRef<Promise<void>>(Promise.resolve());

  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);

  // Switching cases: load (once per case) and show; drafts live in the review store, untouched.
  useEffect(() => {
    const current = useReviewStore.getState().cases.find((c) => c.id === currentId);
    if (!current) return;
    performance.mark('inspector:case-selected');
    const loaded = loadCached(current);
    shown.current = loaded.then(
      (lc) => {
        performance.mark('inspector:case-loaded');
        if (useReviewStore.getState().cases[useReviewStore.getState().current]?.id !== current.id) return;
        // A scene already shown keeps what was added to it since (inspection results).
        useViewerStore.getState().showScene(useViewerStore.getState().scenes[current.id] ?? lc.scene);
        if (lc.findings) useReviewStore.getState().setFindings(current.id, lc.findings);
      },
      (e) => {
        // The previous case's image must not stay up under this case's title and verdict.
        if (useReviewStore.getState().cases[useReviewStore.getState().current]?.id === current.id) useViewerStore.getState().clearView();
        setError(toErrorInfo(e));
      },
    );
    // Runs after the scene was shown (the preview resolves first); replaces it wherever it is shown.
    complete.current = loaded.then(
      (lc) =>
        lc.full?.then(
          (full) => {
            performance.mark('inspector:case-complete');
            useViewerStore.getState().replaceFrames(current.id, full.scene.frames);
          },
          (e) => setError(toErrorInfo(e)),
        ),
      () => undefined,
    );
  }, [currentId, setError]);

  useEffect(() => {
    if (!useReviewStore.getState().submitter) useReviewStore.getState().setSubmitter(submitToHistory);
  }, []);

  useEffect(() => {
    const frame = () => new Promise((r) => requestAnimationFrame(r));
    // The E2E bridge and the render bench announce themselves before the page loads; the desktop
    // app never does, so the hook does not exist there.
    if (!(globalThis as { __INSPECTOR_E2E__?: boolean }).__INSPECTOR_E2E__) return;
    // The current case's scene is in the first pane, fitted and drawn; then one painted frame.
    const onScreen = (loaded: { current: Promise<void> }) => async () => {
      for (;;) {
        await loaded.current;
        const r = useReviewStore.getState();
        const pane = useViewerStore.getState().panes[0];
        const id = r.cases[r.current]?.id;
        if (!id || (pane?.sceneId === id && pane.viewport)) break;
        await frame();
      }
      await frame();
    };
    const firstPaint = onScreen(shown);
    installHook(async () => {
      await firstPaint();
      await onScreen(complete)();
    }, firstPaint);
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // Review shortcuts act on the hidden case queue: only while the review page is showing.
      if (useNavStore.getState().view !== 'review') return;
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
      {view === 'review' ? (
        <>
          <CaseList />
          <Viewer />
          <FindingsPanel />
        </>
      ) : view === 'history' ? (
        <HistoryView />
      ) : view === 'line' ? (
        <LineRoom />
      ) : view === 'fleet' ? (
        <FleetRoom />
      ) : view === 'worklist' ? (
        <WorklistRoom />
      ) : view === 'evaluate' ? (
        <EvaluateView />
      ) : (
        <Dashboard />
      )}
      {view === 'review' && <BatchProgress />}
      <StatusBar />
      {sheet && <ShortcutSheet onClose={() => setSheet(false)} />}
    </div>
  );
}
