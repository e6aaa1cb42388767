import { useEffect } from 'react';
import { call } from './api';
import { CaseList } from './components/CaseList';
import { FindingsPanel } from './components/FindingsPanel';
import { StatusBar } from './components/StatusBar';
import { TopBar } from './components/TopBar';
import { Viewer } from './components/Viewer';
import { useAppStore } from './state/appStore';
import { toErrorInfo } from '../../shared/errors';

/** The workstation frame: cases | viewer | findings, with a status bar. */
export function App() {
  const { setInfo, setStatus, setPacks, setError, locale } = useAppStore();

  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);

  useEffect(() => {
    // Status probes execution providers in the worker; the shell renders before it answers.
    call('app.info', {}).then(setInfo, (e) => setError(toErrorInfo(e)));
    call('packs.list', {}).then(setPacks, (e) => setError(toErrorInfo(e)));
    call('system.status', {}).then(setStatus, (e) => setError(toErrorInfo(e)));
  }, [setInfo, setStatus, setPacks, setError]);

  return (
    <div className="workstation">
      <TopBar />
      <CaseList />
      <Viewer />
      <FindingsPanel />
      <StatusBar />
    </div>
  );
}
