import { useEffect, useState } from 'react';
import { call } from '../api';
import { useT } from '../i18n';
import { casesFromSample } from '../review/sources';
import { useAppStore } from '../state/appStore';
import { useReviewStore } from '../state/reviewStore';
import type { SampleSet } from '../../../shared/contract';
import { toErrorInfo } from '../../../shared/errors';

/** The bundled sample cases: a first-start user sees real verdicts without finding files first. */
export function SampleList() {
  const t = useT();
  const packs = useAppStore((s) => s.packs);
  const [samples, setSamples] = useState<SampleSet[]>([]);
  useEffect(() => {
    call('samples.list', {}).then(setSamples, (e) => useAppStore.getState().setError(toErrorInfo(e)));
  }, []);
  if (samples.length === 0) return null;
  const open = (s: SampleSet) => {
    const cases = casesFromSample(s, packs.filter((p) => !p.error).map((p) => p.name));
    useReviewStore.getState().setCases(cases, cases.length ? 0 : -1);
  };
  return (
    <details className="samples" data-testid="samples">
      <summary>{t('samples.title')}</summary>
      <ul className="sample-list">
        {samples.map((s) => (
          <li key={s.dir}>
            <button type="button" onClick={() => open(s)} data-testid={`sample-${s.name}`} title={s.dir}>
              {s.name} <span className="pack-meta">({s.images.length})</span>
            </button>
          </li>
        ))}
      </ul>
    </details>
  );
}
