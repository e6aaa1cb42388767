import { useT } from '../i18n';
import { compareWithCase } from '../review/caseCache';
import { useAppStore } from '../state/appStore';
import { useReviewStore } from '../state/reviewStore';
import { toErrorInfo } from '../../../shared/errors';
import { useViewerStore, type Tool } from '../state/viewerStore';
import type { PresetId } from '../viewer/voi';
import { Legend } from './Legend';
import { ViewerPane } from './ViewerPane';
import { SeriesStrip } from './SeriesStrip';
import { TagBrowser } from './TagBrowser';
import { useState } from 'react';

const PRESETS: { id: PresetId; key: string }[] = [
  { id: 'soft', key: '⇧1' },
  { id: 'lung', key: '⇧2' },
  { id: 'bone', key: '⇧3' },
  { id: 'minmax', key: '⇧4' },
  { id: 'auto', key: '⇧5' },
  { id: 'default', key: '⇧0' },
];
const TOOLS: { id: Tool; key: string }[] = [
  { id: 'wl', key: 'V' },
  { id: 'pan', key: 'H' },
  { id: 'box', key: 'B' },
  { id: 'length', key: 'D' },
  { id: 'roi', key: 'Q' },
  { id: 'ellipse', key: 'C' },
];

export function Viewer() {
  const t = useT();
  const panes = useViewerStore((s) => s.panes);
  const tool = useViewerStore((s) => s.tool);
  const linked = useViewerStore((s) => s.linked);
  const active = useViewerStore((s) => s.panes[s.activePane]);
  const v = useViewerStore.getState();
  const count = Math.max(1, panes.length);
  const cases = useReviewStore((s) => s.cases);
  const currentId = useReviewStore((s) => s.cases[s.current]?.id);
  const [tagsOpen, setTagsOpen] = useState(false);
  const shownPath = useViewerStore((s) => {
    const p = s.panes[s.activePane];
    return p ? s.scenes[p.sceneId]?.frames[p.frameIndex]?.source?.path : undefined;
  });
  const second = panes[1];
  const compareValue = second && second.sceneId !== panes[0]?.sceneId ? second.sceneId : '';
  const pickCompare = (id: string) => {
    const ref = cases.find((c) => c.id === id);
    if (!id) v.compareLayers();
    else if (ref) compareWithCase(ref).catch((e) => useAppStore.getState().setError(toErrorInfo(e)));
  };
  return (
    <main className="panel viewer" aria-labelledby="viewer-title">
      <div className="viewer-toolbar" role="toolbar" aria-labelledby="viewer-title">
        <h2 id="viewer-title" className="panel-title">
          {t('viewer.title')}
        </h2>
        <div role="group" aria-label={t('tool.label')} className="tool-group">
          {TOOLS.map((x) => (
            <button key={x.id} type="button" aria-pressed={tool === x.id} onClick={() => v.setTool(x.id)} data-testid={`tool-${x.id}`}>
              <kbd>{x.key}</kbd> {t(`tool.${x.id}`)}
            </button>
          ))}
        </div>
        <div role="group" aria-label={t('preset.label')} className="tool-group">
          {PRESETS.map((p) => (
            <button key={p.id} type="button" aria-pressed={active?.preset === p.id} onClick={() => v.applyPreset(p.id)} data-testid={`preset-${p.id}`} disabled={!active}>
              <kbd>{p.key}</kbd> {t(`preset.${p.id}`)}
            </button>
          ))}
        </div>
        <div className="tool-group">
          <button type="button" aria-pressed={active?.userInvert ?? false} onClick={() => v.toggleInvert()} disabled={!active} data-testid="invert">
            <kbd>I</kbd> {t('viewer.invert')}
          </button>
          <button type="button" aria-pressed={tagsOpen} onClick={() => setTagsOpen(!tagsOpen)} disabled={!active} data-testid="tags-open">
            {t('tags.open')}
          </button>
          <button type="button" onClick={() => v.resetView()} disabled={!active} data-testid="reset">
            <kbd>Space</kbd> {t('shortcut.reset')}
          </button>
          <button type="button" aria-pressed={panes.length > 1} onClick={() => (panes.length > 1 ? v.closeCompare() : v.compareLayers())} disabled={!active} data-testid="compare">
            <kbd>X</kbd> {t('shortcut.compare')}
          </button>
          {panes.length > 1 && (
            <button type="button" aria-pressed={linked} onClick={() => v.setLinked(!linked)} data-testid="link">
              {t('viewer.link')}
            </button>
          )}
          {panes.length > 1 && (
            <label className="compare-pick">
              <kbd>⇧X</kbd> {t('viewer.compareWith')}
              <select value={compareValue} onChange={(e) => pickCompare(e.target.value)} data-testid="compare-with">
                <option value="">{t('viewer.compareLayers')}</option>
                {cases
                  .filter((c) => c.id !== currentId)
                  .map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.title}
                    </option>
                  ))}
              </select>
            </label>
          )}
        </div>
      </div>
      <div className={`viewer-panes panes-${count}`} data-testid="viewer-canvas">
        {Array.from({ length: count }, (_, i) => (
          <ViewerPane key={i} index={i} />
        ))}
        <Legend />
        {tagsOpen && <TagBrowser path={shownPath} onClose={() => setTagsOpen(false)} />}
      </div>
      <SeriesStrip />
    </main>
  );
}
