import { useState } from 'react';
import { useT } from '../i18n';
import { useAppStore } from '../state/appStore';
import { useReviewStore } from '../state/reviewStore';
import type { CaseStatus } from '../review/types';
import { LayerPanel } from './LayerPanel';
import { call } from '../api';
import { casesFromFolder, casesFromPaths } from '../review/sources';
import { SampleList } from './SampleList';
import { OpenSkippedNote } from './SkippedNote';
import { useBatchStore } from '../review/batch';
import { toErrorInfo } from '../../../shared/errors';

async function open(kind: 'files' | 'folder') {
  try {
    const { paths } = await call('files.choose', { kind });
    if (!paths.length) return;
    const opened = kind === 'files' ? [{ cases: casesFromPaths(paths), skipped: [] }] : await Promise.all(paths.map(casesFromFolder));
    const cases = opened.flatMap((r) => r.cases);
    useReviewStore.getState().setCases(cases, cases.length ? 0 : -1);
    // What the folder held that is no image (or the walk refused) is named, never dropped silently.
    useReviewStore.getState().setOpenSkipped(opened.flatMap((r) => r.skipped));
  } catch (e) {
    useAppStore.getState().setError(toErrorInfo(e));
  }
}

/** Status words with a glyph each, so the queue does not rely on colour. */
const GLYPH: Record<CaseStatus, string> = { new: '○', inspected: '◐', accepted: '✓', rejected: '✕', uncertain: '?', overridden: '✎' };

/** The model's decision beside the review status: a flagged case stands out without colour. */
const AI_GLYPH: Record<string, string> = { pass: '✔', defect: '⚠', uncertain: '◇', incomplete: '⊘' };

export function CaseList() {
  const t = useT();
  const packs = useAppStore((s) => s.packs);
  const cases = useReviewStore((s) => s.cases);
  const current = useReviewStore((s) => s.current);
  const drafts = useReviewStore((s) => s.drafts);
  const ai = useReviewStore((s) => s.ai);
  const batch = useBatchStore((s) => s.perCase);
  const [filter, setFilter] = useState('');
  const shown = cases.map((c, i) => ({ c, i })).filter(({ c }) => c.title.toLowerCase().includes(filter.toLowerCase()));
  return (
    <nav className="panel cases" aria-labelledby="cases-title">
      <h2 id="cases-title" className="panel-title">
        {t('cases.title')} {cases.length > 0 && `(${current + 1}/${cases.length})`}
      </h2>
      <div className="tool-group open-actions">
        <button type="button" onClick={() => void open('files')} data-testid="open-files">
          {t('cases.openFiles')}
        </button>
        <button type="button" onClick={() => void open('folder')} data-testid="open-folder">
          {t('cases.openFolder')}
        </button>
      </div>
      <OpenSkippedNote />
      <SampleList />
      <input className="filter" type="search" placeholder={t('cases.filter')} aria-label={t('cases.filter')} value={filter} onChange={(e) => setFilter(e.target.value)} />
      {cases.length === 0 ? (
        <p className="empty" data-testid="cases-empty">
          {t('cases.empty')}
        </p>
      ) : (
        <ol className="case-list" data-testid="case-list">
          {shown.map(({ c, i }) => {
            const status = c.status ?? 'new';
            const run = batch[c.id];
            const verdict = ai[c.id];
            return (
              <li key={c.id}>
                <button type="button" className={`case${i === current ? ' current' : ''}`} aria-current={i === current ? 'true' : undefined} onClick={() => useReviewStore.getState().goTo(i)} data-testid={`case-${i}`} data-run={run?.state} data-ai={verdict?.decision}>
                  <span className={`status status-${status}`} aria-hidden="true">
                    {GLYPH[status]}
                  </span>
                  <span className="case-title">{c.title}</span>
                  <span className="case-status">{t(`status.case.${status}`)}</span>
                  {run?.state === 'inspecting' && <span className="badge badge-busy">⟳ {t('batch.inspecting')}</span>}
                  {run?.state === 'queued' && <span className="badge badge-queued">… {t('batch.queued')}</span>}
                  {run?.state === 'error' && (
                    <span className="badge badge-error" title={`${c.path ?? c.title}: ${run.message}`} data-testid={`case-failed-${i}`}>
                      ⊘ {t('banner.incomplete')} · {run.code}
                    </span>
                  )}
                  {verdict && (
                    <span className={`ai-verdict ai-${verdict.decision}`} title={`${t('batch.aiVerdict')}: ${verdict.decision}`}>
                      {AI_GLYPH[verdict.decision] ?? '•'} {verdict.label === 'uncertain' ? t('decision.uncertain') : verdict.label}
                    </span>
                  )}
                  {drafts[c.id]?.dirty && <span className="badge" title={t('review.unsaved')}>● {t('review.unsaved')}</span>}
                </button>
              </li>
            );
          })}
        </ol>
      )}
      <LayerPanel />
      <h2 className="panel-title">{t('packs.title')}</h2>
      {packs.length === 0 ? (
        <p className="empty" data-testid="packs-empty">
          {t('packs.none')}
        </p>
      ) : (
        <ul className="pack-list" data-testid="pack-list">
          {packs.map((p) => (
            <li key={p.dir} title={p.error ? `${p.error.code}: ${p.error.message}` : p.dir}>
              <span className="pack-name">{p.name}</span> <span className="pack-meta">{p.version} · {p.kind}</span>
              {p.error && <span className="badge badge-error">{p.error.code}</span>}
            </li>
          ))}
        </ul>
      )}
    </nav>
  );
}
