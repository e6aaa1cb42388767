import { useEffect, useRef } from 'react';
import { useT } from '../i18n';
import { SHORTCUTS } from '../keyboard';

export function ShortcutSheet({ onClose }: { onClose(): void }) {
  const t = useT();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  const groups = ['review', 'layers', 'image', 'boxes', 'app'] as const;
  return (
    <div className="sheet-backdrop" onClick={onClose}>
      <div className="sheet" role="dialog" aria-modal="true" aria-labelledby="sheet-title" tabIndex={-1} ref={ref} onClick={(e) => e.stopPropagation()} data-testid="shortcut-sheet">
        <h2 id="sheet-title">{t('shortcut.title')}</h2>
        <div className="sheet-groups">
          {groups.map((g) => (
            <section key={g}>
              <h3>{t(`shortcut.group.${g}`)}</h3>
              <dl>
                {SHORTCUTS.filter((s) => s.group === g).map((s) => (
                  <div key={s.keys + s.action} className="sheet-row">
                    <dt>
                      <kbd>{s.keys}</kbd>
                    </dt>
                    <dd>{t(s.action)}</dd>
                  </div>
                ))}
              </dl>
            </section>
          ))}
        </div>
        <button type="button" onClick={onClose}>
          {t('shortcut.close')} <kbd>Esc</kbd>
        </button>
      </div>
    </div>
  );
}
