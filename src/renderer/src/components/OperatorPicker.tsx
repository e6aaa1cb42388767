import { useCallback, useEffect, useState } from 'react';
import { call } from '../api';
import { useT } from '../i18n';
import { useAppStore } from '../state/appStore';
import { useReviewStore } from '../state/reviewStore';
import { toErrorInfo } from '../../../shared/errors';

type Op = { id: string; name: string; role: string };

/** Decisions are signed by the selected operator profile (history), so the reviewer picks one here. */
export function OperatorPicker() {
  const t = useT();
  const [ops, setOps] = useState<Op[]>([]);
  const [current, setCurrent] = useState('');
  const [newId, setNewId] = useState('');
  const [newName, setNewName] = useState('');
  const fail = (e: unknown) => useAppStore.getState().setError(toErrorInfo(e));
  const refresh = useCallback(async () => {
    const r = await call('operator.list', {});
    setOps(r.operators);
    setCurrent(r.current?.id ?? '');
    useReviewStore.getState().setReviewer(r.current ? `${r.current.name} (${r.current.id})` : '');
  }, []);
  useEffect(() => {
    refresh().catch(fail);
  }, [refresh]);
  const select = (id: string) => call('operator.select', { id }).then(refresh).catch(fail);
  const create = async () => {
    try {
      await call('operator.create', { id: newId.trim(), name: newName.trim() || newId.trim(), role: 'reviewer' });
      await select(newId.trim());
      setNewId('');
      setNewName('');
    } catch (e) {
      fail(e);
    }
  };
  return (
    <div className="operator">
      <label className="note-label">
        {t('review.reviewer')}
        <select value={current} onChange={(e) => e.target.value && void select(e.target.value)} data-testid="operator-select">
          <option value="">{t('operator.none')}</option>
          {ops.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name} ({o.id})
            </option>
          ))}
        </select>
      </label>
      <form
        className="operator-new"
        onSubmit={(e) => {
          e.preventDefault();
          if (newId.trim()) void create();
        }}
      >
        <input aria-label={t('operator.id')} placeholder={t('operator.id')} value={newId} onChange={(e) => setNewId(e.target.value)} data-testid="operator-new-id" />
        <input aria-label={t('operator.name')} placeholder={t('operator.name')} value={newName} onChange={(e) => setNewName(e.target.value)} data-testid="operator-new-name" />
        <button type="submit" data-testid="operator-add">
          {t('operator.add')}
        </button>
      </form>
    </div>
  );
}
