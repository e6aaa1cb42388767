import { LOCALES, useT } from '../i18n';
import { useAppStore } from '../state/appStore';

export function TopBar() {
  const t = useT();
  const { locale, setLocale, info } = useAppStore();
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
      <div className="topbar-actions" role="group" aria-label={t('lang.label')}>
        {LOCALES.map((l) => (
          <button
            key={l}
            type="button"
            className="lang-button"
            aria-pressed={locale === l}
            data-testid={`lang-${l}`}
            onClick={() => setLocale(l)}
          >
            {t(`lang.${l}`)}
          </button>
        ))}
      </div>
    </header>
  );
}
