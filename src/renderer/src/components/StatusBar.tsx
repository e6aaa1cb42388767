import { useT } from '../i18n';
import { useAppStore } from '../state/appStore';

export function StatusBar() {
  const t = useT();
  const { status, error } = useAppStore();
  return (
    <footer className="statusbar" role="status" aria-live="polite">
      <span>
        {t('status.provider')}:{' '}
        <strong data-testid="status-provider">{status ? status.activeProvider.toUpperCase() : t('status.loading')}</strong>
      </span>
      <span>
        {t('status.database')}: <strong data-testid="status-database">{status?.database ?? '—'}</strong>
      </span>
      <span>
        {t('status.worker')}: <strong data-testid="status-worker">{status ? t(`worker.${status.worker}`) : '—'}</strong>
      </span>
      {error && (
        <span className="status-error" data-testid="status-error" title={error.message}>
          {t('error.title')}: {error.code}
        </span>
      )}
    </footer>
  );
}
