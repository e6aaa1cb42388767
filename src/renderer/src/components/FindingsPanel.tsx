import { useT } from '../i18n';

export function FindingsPanel() {
  const t = useT();
  return (
    <aside className="panel findings" aria-labelledby="findings-title">
      <h2 id="findings-title" className="panel-title">
        {t('findings.title')}
      </h2>
      <section className="card">
        <h3 className="card-title">{t('findings.verdict')}</h3>
        <p className="empty">{t('findings.empty')}</p>
      </section>
      <section className="card" aria-labelledby="review-title">
        <h3 id="review-title" className="card-title">
          {t('review.title')}
        </h3>
        <div className="review-actions">
          <button type="button" disabled title={t('review.disabled')}>
            <kbd>A</kbd> {t('review.accept')}
          </button>
          <button type="button" disabled title={t('review.disabled')}>
            <kbd>R</kbd> {t('review.reject')}
          </button>
          <button type="button" disabled title={t('review.disabled')}>
            <kbd>U</kbd> {t('review.uncertain')}
          </button>
        </div>
        <label className="note-label">
          {t('review.note')}
          <textarea disabled rows={3} />
        </label>
      </section>
    </aside>
  );
}
