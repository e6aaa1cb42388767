import { useEffect } from 'react';
import { useT } from '../i18n';
import { useNavStore, VIEWS, type View } from './navStore';

/** Alt+1…n work from anywhere, including while typing in a filter (Alt never types text). */
function onKey(e: KeyboardEvent) {
  if (!e.altKey || e.ctrlKey || e.metaKey) return;
  const i = /^Digit[1-9]$/.test(e.code) ? Number(e.code.slice(5)) - 1 : -1;
  if (i < 0 || i >= VIEWS.length) return;
  useNavStore.getState().setView(VIEWS[i]!);
  e.preventDefault();
}

export function ViewSwitch() {
  const t = useT();
  const view = useNavStore((s) => s.view);
  const setView = useNavStore((s) => s.setView);
  useEffect(() => {
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div role="group" aria-label={t('nav.label')} className="tool-group view-switch">
      {VIEWS.map((v: View, i) => (
        <button key={v} type="button" aria-current={view === v ? 'page' : undefined} aria-pressed={view === v} onClick={() => setView(v)} data-testid={`view-${v}`} title={`Alt+${i + 1}`}>
          {t(`nav.${v}`)} <kbd>Alt+{i + 1}</kbd>
        </button>
      ))}
    </div>
  );
}
