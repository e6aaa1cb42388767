import { useState } from 'react';
import { useT } from '../i18n';
import { inspectAll, useBatchStore } from '../review/batch';
import { chooseFolderCase, inspectCase } from '../review/inspect';
import type { CaseRef } from '../review/types';
import { useAppStore } from '../state/appStore';
import { useReviewStore } from '../state/reviewStore';
import { toErrorInfo } from '../../../shared/errors';

/** Pick a pack and run it on the current case (F5), or on every case not inspected with it (Shift+F5). */
export function InspectBar() {
  const t = useT();
  const packs = useAppStore((s) => s.packs).filter((p) => !p.error);
  const c = useReviewStore((s) => s.cases[s.current]);
  const anyFile = useReviewStore((s) => s.cases.some((x) => !!x.path));
  const batchRunning = useBatchStore((s) => s.running);
  const [pack, setPack] = useState('');
  const [busy, setBusy] = useState(false);
  const run = async (target: CaseRef | undefined = c) => {
    if (!target) return;
    setBusy(true);
    try {
      await inspectCase(target, pack || target.pack || undefined);
      // A later successful run clears an earlier failure of the case.
      if (useBatchStore.getState().perCase[target.id]?.state === 'error') useBatchStore.setState((b) => ({ perCase: Object.fromEntries(Object.entries(b.perCase).filter(([k]) => k !== target.id)) }));
    } catch (e) {
      const info = toErrorInfo(e);
      // The case itself shows the failure (INCOMPLETE banner, code in the case list), not only the status bar.
      useBatchStore.setState((b) => ({ perCase: { ...b.perCase, [target.id]: { state: 'error', code: info.code, message: info.message } } }));
      useAppStore.getState().setError(info);
    } finally {
      setBusy(false);
    }
  };
  const runFolder = async () => {
    try {
      const folder = await chooseFolderCase();
      if (folder) await run(folder);
    } catch (e) {
      useAppStore.getState().setError(toErrorInfo(e));
    }
  };
  return (
    <div className="inspect-bar">
      <label className="inspect-pack" htmlFor="inspect-pack">
        {t('inspect.packLabel')}
      </label>
      <select id="inspect-pack" title={t('inspect.pack')} value={pack} onChange={(e) => setPack(e.target.value)} data-testid="inspect-pack">
        <option value="">{c?.pack ? `${t('inspect.samplePack')}: ${c.pack}` : c?.config ? t('inspect.byConfig') : t('inspect.defaultPack')}</option>
        {packs.map((p) => (
          // Installed packs are named: a folder path would need its own access grant.
          <option key={p.dir} value={p.name}>
            {p.name} {p.version}
          </option>
        ))}
      </select>
 <div className="inspect-actions">
      <button type="button" id="inspect-run" disabled={!c?.path || busy} onClick={() => void run()} data-testid="inspect-run">
        <kbd>F5</kbd> {busy ? t('inspect.running') : t('inspect.run')}
      </button>
      <button type="button" id="inspect-folder" disabled={busy} title={t('inspect.folderTitle')} onClick={() => void runFolder()} data-testid="inspect-folder">
        {t('inspect.folder')}
      </button>
      <button type="button" id="inspect-all" disabled={batchRunning || !anyFile} onClick={() => void inspectAll(pack)} data-testid="inspect-all">
        <kbd>Shift+F5</kbd> {t('batch.inspectAll')}
      </button>
      </div>
    </div>
  );
}
