import { useT } from '../i18n';
import { useAppStore } from '../state/appStore';

export function CaseList() {
  const t = useT();
  const packs = useAppStore((s) => s.packs);
  return (
    <nav className="panel cases" aria-labelledby="cases-title">
      <h2 id="cases-title" className="panel-title">
        {t('cases.title')}
      </h2>
      <input className="filter" type="search" placeholder={t('cases.filter')} aria-label={t('cases.filter')} />
      <p className="empty" data-testid="cases-empty">
        {t('cases.empty')}
      </p>
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
