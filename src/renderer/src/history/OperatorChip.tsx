import { useEffect, useState } from 'react';
import { useT, type MessageKey } from '../i18n';
import { ROLES, useOperatorStore, type OperatorRole } from './operatorStore';

/**
 * The operator profile chooser. At start without a profile it opens by itself, as a non-modal
 * panel under the top bar (browsing the history needs no identity; recording a review does, and
 * the host refuses one without a profile, which reopens this panel).
 */
function Chooser() {
  const t = useT();
  const { operators, current, error, select, create, setOpen } = useOperatorStore();
  const [pick, setPick] = useState(current?.id ?? operators[0]?.id ?? '');
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<OperatorRole>('reviewer');
  const close = () => setOpen(false);
  return (
    <div
      className="operator-panel"
      role="dialog"
      aria-modal="false"
      aria-labelledby="operator-title"
      data-testid="operator-chooser"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          close();
        }
      }}
    >
      <h2 id="operator-title" className="card-title">
        {t('operator.title')}
      </h2>
      <p className="muted">{t('operator.hint')}</p>
      {operators.length > 0 && (
        <form
          className="operator-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (pick) void select(pick);
          }}
        >
          <label>
            {t('operator.existing')}
            <select value={pick} onChange={(e) => setPick(e.target.value)} data-testid="operator-pick">
              {operators.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name} ({o.id}) · {t(`operator.role.${o.role}` as MessageKey)}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" data-testid="operator-use">
            {t('operator.use')}
          </button>
        </form>
      )}
      <form
        className="operator-form"
        onSubmit={(e) => {
          e.preventDefault();
          void create({ id: id.trim(), name: name.trim(), role });
        }}
      >
        <fieldset>
          <legend>{t('operator.new')}</legend>
          <label>
            {t('operator.id')}
            <input value={id} required pattern="[A-Za-z0-9._@\-]{1,64}" maxLength={64} onChange={(e) => setId(e.target.value)} data-testid="operator-id" />
          </label>
          <label>
            {t('operator.name')}
            <input value={name} required maxLength={200} onChange={(e) => setName(e.target.value)} data-testid="operator-name" />
          </label>
          <label>
            {t('operator.role')}
            <select value={role} onChange={(e) => setRole(e.target.value as OperatorRole)} data-testid="operator-role">
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`operator.role.${r}` as MessageKey)}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" data-testid="operator-create">
            {t('operator.create')}
          </button>
        </fieldset>
      </form>
      {error && (
        <p className="status-error" role="alert" data-testid="operator-error">
          {error.code}: {error.message}
        </p>
      )}
      <button type="button" onClick={close} data-testid="operator-later">
        {t('operator.later')} <kbd>Esc</kbd>
      </button>
    </div>
  );
}

export function OperatorChip() {
  const t = useT();
  const { current, open, load, setOpen } = useOperatorStore();
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <div className="operator">
      <button type="button" className={current ? '' : 'attention'} aria-expanded={open} onClick={() => setOpen(!open)} data-testid="operator-chip" title={t('operator.label')}>
        <span aria-hidden="true">{current ? '◉' : '⚠'}</span>{' '}
        {current ? (
          <>
            <span data-testid="operator-current">{current.name}</span> <span className="muted">· {t(`operator.role.${current.role}` as MessageKey)}</span>
          </>
        ) : (
          t('operator.none')
        )}
      </button>
      {open && <Chooser />}
    </div>
  );
}
