import { LOCALES, useT } from '../i18n';
import { useAppStore } from '../state/appStore';
import { OperatorChip } from '../history/OperatorChip';
import { ViewSwitch } from '../history/ViewSwitch';

export function TopBar({ onShortcuts }: { onShortcuts(): void }) {
  const t = useT();
  const { locale, setLocale, info, largeText, setLargeText, highContrast, setHighContrast } = useAppStore();
  return (
    <header className="topbar" role="banner">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          ◈
        </span>
        <span className="brand-name">{t('app.title')}</span>
        <span className="brand-sub">{t('app.subtitle')}</span>
        {info && <span className="brand-version">v{info.version}</span>}
      </div>
      <ViewSwitch />
      <div className="topbar-actions">
        <OperatorChip />
        <div role="group" aria-label={t('a11y.label')} className="tool-group">
          <button type="button" aria-pressed={largeText} onClick={() => setLargeText(!largeText)} data-testid="large-text">
            <span aria-hidden="true">A+</span> {t('a11y.largeText')}
          </button>
          <button type="button" aria-pressed={highContrast} onClick={() => setHighContrast(!highContrast)} data-testid="high-contrast">
            <span aria-hidden="true">◐</span> {t('a11y.highContrast')}
          </button>
          <button type="button" onClick={onShortcuts} data-testid="shortcuts">
            <kbd>?</kbd> {t('shortcut.title')}
          </button>
        </div>
        <div role="group" aria-label={t('lang.label')} className="tool-group">
          {LOCALES.map((l) => (
            <button key={l} type="button" className="lang-button" aria-pressed={locale === l} data-testid={`lang-${l}`} onClick={() => setLocale(l)}>
              {t(`lang.${l}`)}
            </button>
          ))}
        </div>
      </div>
    </header>
  );
}
